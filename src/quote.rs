//! Names from input as they go into output and messages.
//!
//! A name in a tar stream or a directory may hold any byte but `/` and NUL,
//! control bytes included: printed raw, `\033]0;…\a` retitles the terminal
//! and `\033[2J` clears it. Every name rel shows passes through
//! [`quote_name`], and every error line through [`escape_controls`] as well,
//! so no control byte from input reaches the terminal.

/// Shows a name as git does: as-is when it is plain UTF-8, else quoted with
/// C escapes (octal for bytes that are not UTF-8), so one line is one name.
pub fn quote_name(name: &[u8]) -> String {
    let plain = std::str::from_utf8(name)
        .ok()
        .filter(|s| !s.chars().any(|c| c.is_control() || c == '"' || c == '\\'));
    if let Some(s) = plain {
        return s.to_string();
    }
    let mut out = String::from("\"");
    let mut rest = name;
    while !rest.is_empty() {
        let (valid, bad) = match std::str::from_utf8(rest) {
            Ok(s) => (s, &[][..]),
            Err(e) => {
                let (v, b) = rest.split_at(e.valid_up_to());
                (std::str::from_utf8(v).expect("valid prefix"), b)
            }
        };
        for c in valid.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c if c.is_control() => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        out.push_str(&format!("\\{b:03o}"));
                    }
                }
                c => out.push(c),
            }
        }
        if bad.is_empty() {
            break;
        }
        out.push_str(&format!("\\{:03o}", bad[0]));
        rest = &bad[1..];
    }
    out.push('"');
    out
}

/// The most bytes of one name a message shows.
const SHOWN: usize = 100;

/// A name as a message shows it: quoted, and cut to its first hundred bytes
/// (then followed by `...`) so that a huge name makes a short line.
pub fn shown(name: &[u8]) -> String {
    if name.len() <= SHOWN {
        return quote_name(name);
    }
    let mut end = SHOWN;
    // Not inside a UTF-8 sequence, where one can be found.
    while end > SHOWN - 3 && name[end] & 0xc0 == 0x80 {
        end -= 1;
    }
    if name[end] & 0xc0 == 0x80 {
        end = SHOWN;
    }
    format!("{}...", quote_name(&name[..end]))
}

/// `line` with every control character escaped (`\033` for ESC), the last
/// defence of an error line against names that were not quoted.
pub fn escape_controls(line: &str) -> String {
    if !line.chars().any(char::is_control) {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len() + 8);
    for c in line.chars() {
        if c.is_control() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\{b:03o}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_bytes_are_escaped() {
        assert_eq!(quote_name(b"plain.txt"), "plain.txt");
        assert_eq!(quote_name(b"caf\xe9.txt"), "\"caf\\351.txt\"");
        assert_eq!(quote_name(b"\x1b]0;PWNED\x07"), "\"\\033]0;PWNED\\007\"");
        assert_eq!(escape_controls("a\x1b[2Jb"), "a\\033[2Jb");
        assert_eq!(escape_controls("caf\u{e9}"), "caf\u{e9}");
    }

    #[test]
    fn long_names_are_shortened() {
        let long = vec![b'a'; 50 << 20];
        let s = shown(&long);
        assert_eq!(s, format!("{}...", "a".repeat(SHOWN)));
        let mut utf = vec![b'a'; SHOWN - 1];
        utf.extend_from_slice("é".repeat(10).as_bytes());
        assert_eq!(shown(&utf), format!("{}...", "a".repeat(SHOWN - 1)));
    }
}
