//! Config snapshots: a sorted map KEY → VALUE, stored as a config object.
//!
//! The encoding is canonical TOML, one `KEY = "VALUE"` line per key in byte
//! order with a fixed escaping, so one set of vars has one id. Snapshots are
//! never deleted: they are small and they are the history of secrets' shape.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::id::{Id, Kind};
use crate::store::Store;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    pub vars: BTreeMap<String, String>,
}

/// `[A-Za-z_][A-Za-z0-9_]*`
pub fn valid_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

pub fn check_key(key: &str) -> Result<()> {
    if valid_key(key) {
        Ok(())
    } else {
        Err(Error::refused(format!(
            "'{key}' is not a valid config key; use letters, digits and _, not starting with a digit"
        )))
    }
}

pub fn check_value(key: &str, value: &str) -> Result<()> {
    if value.contains('\0') {
        return Err(Error::refused(format!(
            "the value of {key} contains a NUL byte, which a config var cannot hold"
        )));
    }
    Ok(())
}

impl Config {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = String::new();
        for (k, v) in &self.vars {
            out.push_str(k);
            out.push_str(" = \"");
            for c in v.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    '\r' => out.push_str("\\r"),
                    c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                        out.push_str(&format!("\\u{:04X}", c as u32))
                    }
                    c => out.push(c),
                }
            }
            out.push_str("\"\n");
        }
        out.into_bytes()
    }

    pub fn decode(bytes: &[u8], id: &Id) -> Result<Config> {
        let text =
            std::str::from_utf8(bytes).map_err(|_| Error::corrupt(*id, "config is not UTF-8"))?;
        let vars: BTreeMap<String, String> =
            toml::from_str(text).map_err(|_| Error::corrupt(*id, "config is not valid TOML"))?;
        Ok(Config { vars })
    }

    /// Parses `KEY=VALUE` records: lines, or NUL-separated with `nul`
    /// (then values may hold newlines). Empty records are skipped.
    pub fn parse_records(text: &str, nul: bool) -> Result<Config> {
        let mut vars = BTreeMap::new();
        let records: Vec<&str> = if nul {
            text.split('\0').collect()
        } else {
            text.lines().collect()
        };
        for record in records.into_iter().filter(|r| !r.is_empty()) {
            let (k, v) = parse_assignment(record)?;
            vars.insert(k, v);
        }
        Ok(Config { vars })
    }
}

/// `KEY=VALUE` → (KEY, VALUE), checked.
pub fn parse_assignment(text: &str) -> Result<(String, String)> {
    let Some((k, v)) = text.split_once('=') else {
        return Err(Error::refused(format!(
            "'{}' is not KEY=VALUE",
            text.escape_debug()
        )));
    };
    if k.is_empty() {
        return Err(Error::refused(format!(
            "'{}' has no key before '='; write KEY=VALUE",
            text.escape_debug()
        )));
    }
    check_key(k)?;
    check_value(k, v)?;
    Ok((k.to_string(), v.to_string()))
}

impl Store {
    pub fn write_config(&self, config: &Config) -> Result<Id> {
        self.write_bytes(Kind::Config, &config.encode())
    }

    pub fn read_config(&self, id: &Id) -> Result<Config> {
        Config::decode(&self.read_small(id, Kind::Config)?, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert!(valid_key("A_1") && valid_key("_x"));
        assert!(!valid_key("1A") && !valid_key("A-B") && !valid_key(""));
    }

    #[test]
    fn encoding_round_trips_awkward_values() {
        let mut c = Config::default();
        c.vars
            .insert("A".into(), "x \"q\" \\ $HOME\nline\t\u{1}é".into());
        c.vars.insert("B".into(), String::new());
        let bytes = c.encode();
        let id = Kind::Config.id_of(&bytes);
        assert_eq!(Config::decode(&bytes, &id).unwrap(), c);
    }
}
