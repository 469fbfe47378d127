//! A tar stream read through its structure, so that rel knows where it ends.
//!
//! The `tar` crate stops at the first zero block: it cannot tell a stream
//! that ends with the end-of-archive marker (two zero blocks, which GNU tar,
//! bsdtar, Python's tarfile and `git archive` always write) from one cut
//! short at an entry boundary, which is what a sender that dies leaves. So
//! the stream reaches the crate through [`TarStream`], which follows the
//! headers as the crate reads them. It refuses, naming the entry:
//! - a stream that ends anywhere before the end of its second zero block,
//!   and a compressed stream whose last frame is not complete;
//! - a long name, long link or pax header too long to be a path, before the
//!   crate buffers it (memory stays bounded);
//! - a pax `size` that is not a size, and a size that overflows.
//!
//! The crate never reads past what it needs (a header, an entry's data and
//! padding), so what passes through here is what the crate has consumed.

use std::io::{self, Read};

use crate::quote::shown;

/// The longest path rel takes from a tar stream, and the longest link
/// target (Linux's PATH_MAX).
pub const MAX_PATH: usize = 4096;
/// The longest name of one path component (Linux's NAME_MAX).
pub const MAX_NAME: usize = 255;
/// The largest pax extended header rel reads (it is held in memory).
const MAX_PAX: u64 = 16 << 20;
const BLOCK: usize = 512;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Meta {
    LongName,
    LongLink,
    Pax,
}

impl Meta {
    /// The most bytes of its data kept (a path and its NUL).
    fn cap(self) -> u64 {
        match self {
            Meta::LongName | Meta::LongLink => MAX_PATH as u64 + 1,
            Meta::Pax => MAX_PAX,
        }
    }
}

#[derive(Debug)]
enum State {
    /// A header (or a zero block) is being read into `block`.
    Header,
    /// A GNU sparse extension header is being read into `block`; the
    /// entry's data (`padded` bytes with padding) follows the last one.
    SparseExt { padded: u64 },
    /// An entry's data and padding, `left` bytes of them still to come.
    Data { left: u64 },
    /// The data of a long name, a long link or a pax header, kept in `meta`.
    Meta {
        kind: Meta,
        size: u64,
        padded: u64,
        read: u64,
    },
    /// Past the end-of-archive marker: what follows is read and ignored.
    End,
}

/// Reads a tar stream from `inner` (decompressed already) and follows it.
pub struct TarStream<R> {
    inner: R,
    /// "gzip" or "zstd" when the stream on standard input is compressed.
    compression: Option<&'static str>,
    state: State,
    block: [u8; BLOCK],
    filled: usize,
    /// Zero blocks in a row where a header was due.
    zeros: u32,
    meta: Vec<u8>,
    /// How much of a pax header in `meta` [`Self::scan_pax`] has checked.
    pax_scanned: usize,
    /// A long name (or pax header) waiting for the header it describes.
    long_name: Option<Vec<u8>>,
    pax: Option<Vec<u8>>,
    /// The path of the last entry whose header was read.
    entry: Option<Vec<u8>>,
    refusal: Option<String>,
}

fn padded(size: u64) -> Option<u64> {
    Some(size.checked_add(BLOCK as u64 - 1)? & !(BLOCK as u64 - 1))
}

impl<R: Read> TarStream<R> {
    pub fn new(inner: R, compression: Option<&'static str>) -> TarStream<R> {
        TarStream {
            inner,
            compression,
            state: State::Header,
            block: [0; BLOCK],
            filled: 0,
            zeros: 0,
            meta: Vec::new(),
            pax_scanned: 0,
            long_name: None,
            pax: None,
            entry: None,
            refusal: None,
        }
    }

    /// Why the stream was refused, once it was: the complete message.
    pub fn refusal(&self) -> Option<&str> {
        self.refusal.as_deref()
    }

    /// Reads what follows the last entry, once the crate has stopped at the
    /// first zero block: the second one, then to the end of the input (the
    /// padding of the last record, the end of a compressed frame).
    pub fn finish(&mut self) -> Result<(), String> {
        let mut buf = vec![0u8; 64 << 10];
        loop {
            match self.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.refusal.clone().unwrap_or_else(|| e.to_string())),
            }
        }
    }

    fn refuse(&mut self, msg: String) -> io::Error {
        let e = io::Error::new(io::ErrorKind::InvalidData, msg.clone());
        self.refusal = Some(msg);
        e
    }

    /// The last entry, as messages name it.
    fn last(&self) -> String {
        match &self.entry {
            Some(path) => format!("tar entry '{}'", shown(path)),
            None => "the start of the stream".to_string(),
        }
    }

    /// Where in the stream reading stopped.
    fn place(&self) -> String {
        match (&self.state, &self.entry) {
            (State::Data { .. }, Some(path)) => format!("inside tar entry '{}'", shown(path)),
            (State::Header, Some(path)) if self.filled == 0 && self.zeros == 0 => format!(
                "after tar entry '{}', without the end-of-archive marker",
                shown(path)
            ),
            (State::Header, _) if self.zeros > 0 => {
                format!("after {}, inside its end-of-archive marker", self.last())
            }
            (State::End, _) => format!("after {} and its end-of-archive marker", self.last()),
            (_, Some(path)) => format!("inside the header after tar entry '{}'", shown(path)),
            (_, None) => "inside its first header".to_string(),
        }
    }

    /// The message for a stream that ends early; `what` ends early.
    fn cut(&self, what: &str) -> String {
        format!(
            "{what} on standard input is cut short {}: the sender was probably interrupted; nothing was stored",
            self.place()
        )
    }

    /// The message for an error from the decompressor or the input.
    fn failed(&self, e: &io::Error) -> String {
        match self.compression {
            Some(c) if e.kind() == io::ErrorKind::UnexpectedEof => {
                self.cut(&format!("the {c} stream"))
            }
            Some(c) => format!(
                "the {c} stream on standard input is damaged {} ({e}); nothing was stored",
                self.place()
            ),
            None => format!(
                "could not read standard input {} ({e}); nothing was stored",
                self.place()
            ),
        }
    }

    /// Follows the stream through `bytes`, the next ones read.
    fn observe(&mut self, mut bytes: &[u8]) -> Result<(), String> {
        while !bytes.is_empty() {
            match &mut self.state {
                State::End => return Ok(()),
                State::Data { left } => {
                    let n = (*left).min(bytes.len() as u64);
                    *left -= n;
                    bytes = &bytes[n as usize..];
                    if *left == 0 {
                        self.state = State::Header;
                    }
                }
                State::Meta {
                    kind,
                    size,
                    padded,
                    read,
                } => {
                    let (kind, size) = (*kind, *size);
                    let n = (*padded - *read).min(bytes.len() as u64);
                    // Of the data (not the padding), what fits under the cap.
                    let keep = size.min(kind.cap()).saturating_sub(*read).min(n);
                    self.meta.extend_from_slice(&bytes[..keep as usize]);
                    *read += n;
                    let done = *read == *padded;
                    bytes = &bytes[n as usize..];
                    if kind == Meta::Pax {
                        self.scan_pax()?;
                    }
                    if size > kind.cap() && self.meta.len() as u64 == kind.cap() {
                        return Err(self.too_long(kind, size));
                    }
                    if done {
                        self.state = State::Header;
                        self.meta_read(kind)?;
                    }
                }
                State::Header | State::SparseExt { .. } => {
                    let n = (BLOCK - self.filled).min(bytes.len());
                    self.block[self.filled..self.filled + n].copy_from_slice(&bytes[..n]);
                    self.filled += n;
                    bytes = &bytes[n..];
                    if self.filled == BLOCK {
                        self.filled = 0;
                        self.block_read()?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Refuses a path or link target of a pax header that is being read as
    /// soon as its record's length shows it is too long: the crate holds
    /// the whole header in memory.
    fn scan_pax(&mut self) -> Result<(), String> {
        loop {
            let rest = &self.meta[self.pax_scanned..];
            // "LEN KEY=VALUE\n"; a malformed record is left to the parse.
            let Some(space) = rest.iter().take(20).position(|&b| b == b' ') else {
                return Ok(());
            };
            let Some(len) = std::str::from_utf8(&rest[..space])
                .ok()
                .and_then(|n| n.parse::<usize>().ok())
            else {
                return Ok(());
            };
            let Some(eq) = rest[space..].iter().position(|&b| b == b'=') else {
                return Ok(());
            };
            let key = &rest[space + 1..space + eq];
            let value_at = space + eq + 1;
            let Some(value_len) = len.checked_sub(value_at + 1) else {
                return Ok(());
            };
            let what = match key {
                b"path" | b"GNU.sparse.name" => "a path",
                b"linkpath" => "a link target",
                _ => "",
            };
            if !what.is_empty() && value_len > MAX_PATH {
                // Enough of it to show, as `shown` cuts it.
                if rest.len() < value_at + 101 {
                    return Ok(());
                }
                let value = &rest[value_at..rest.len().min(value_at + value_len)];
                return Err(format!(
                    "tar entry '{}' has {what} of {value_len} bytes in its pax header, longer than a path can be ({MAX_PATH} bytes); nothing was stored",
                    shown(value)
                ));
            }
            if len > rest.len() || len == 0 {
                return Ok(());
            }
            self.pax_scanned += len;
        }
    }

    fn too_long(&self, kind: Meta, size: u64) -> String {
        match kind {
            Meta::LongName => format!(
                "tar entry '{}' has a path of {} bytes, longer than a path can be ({MAX_PATH} bytes); nothing was stored",
                shown(&self.meta),
                size - 1
            ),
            Meta::LongLink => format!(
                "the tar entry after {} has a link target of {} bytes ('{}'), longer than a path can be ({MAX_PATH} bytes); nothing was stored",
                self.last(),
                size - 1,
                shown(&self.meta)
            ),
            Meta::Pax => {
                let name = tar::PaxExtensions::new(&self.meta)
                    .map_while(|r| r.ok())
                    .find(|r| r.key_bytes() == b"path")
                    .map(|r| format!("tar entry '{}'", shown(r.value_bytes())))
                    .unwrap_or_else(|| format!("the tar entry after {}", self.last()));
                format!(
                    "{name} has a pax header of {size} bytes, more than rel reads ({} MiB); nothing was stored",
                    MAX_PAX >> 20
                )
            }
        }
    }

    /// The data of a long name, long link or pax header has been read.
    fn meta_read(&mut self, kind: Meta) -> Result<(), String> {
        let data = std::mem::take(&mut self.meta);
        match kind {
            Meta::LongName => {
                let mut name = data;
                if name.last() == Some(&0) {
                    name.pop();
                }
                self.long_name = Some(name);
            }
            Meta::LongLink => {}
            Meta::Pax => {
                for record in tar::PaxExtensions::new(&data) {
                    let Ok(record) = record else {
                        return Err(format!(
                            "the tar entry after {} has a malformed pax header; nothing was stored",
                            self.last()
                        ));
                    };
                    let value = record.value_bytes();
                    let what = match record.key_bytes() {
                        b"path" | b"GNU.sparse.name" => "a path",
                        b"linkpath" => "a link target",
                        _ => continue,
                    };
                    if value.len() > MAX_PATH {
                        return Err(format!(
                            "tar entry '{}' has {what} of {} bytes in its pax header, longer than a path can be ({MAX_PATH} bytes); nothing was stored",
                            shown(value),
                            value.len()
                        ));
                    }
                }
                self.pax = Some(data);
            }
        }
        Ok(())
    }

    /// A block where a header was due, or a GNU sparse extension, was read.
    fn block_read(&mut self) -> Result<(), String> {
        if let State::SparseExt { padded } = self.state {
            // `isextended` of a GNU sparse extension header.
            if self.block[504] != 1 {
                self.state = State::Data { left: padded };
                if padded == 0 {
                    self.state = State::Header;
                }
            }
            return Ok(());
        }
        if self.block.iter().all(|&b| b == 0) {
            if self.long_name.is_some() || self.pax.is_some() {
                return Err(format!(
                    "the tar stream on standard input ends with a long name or pax header after {}, which describes no entry; nothing was stored",
                    self.last()
                ));
            }
            self.zeros += 1;
            if self.zeros == 2 {
                self.state = State::End;
            }
            return Ok(());
        }
        if self.zeros > 0 {
            return Err(format!(
                "the tar stream on standard input goes on after a zero block that follows {}, where its end-of-archive marker should be; nothing was stored",
                self.last()
            ));
        }
        let block = self.block;
        let header = tar::Header::from_byte_slice(&block);
        let sum = block[..148]
            .iter()
            .chain(&block[156..])
            .map(|&b| u32::from(b))
            .sum::<u32>()
            + 8 * 32;
        if header.cksum().ok() != Some(sum) {
            return Err(match &self.entry {
                None => "standard input is not a tar stream (its first block is not a tar header); nothing was stored".to_string(),
                Some(_) => format!(
                    "the tar stream on standard input is damaged after {} (a header's checksum is wrong); nothing was stored",
                    self.last()
                ),
            });
        }
        let etype = header.entry_type();
        let recognized = header.as_gnu().is_some() || header.as_ustar().is_some();
        let meta = if !recognized {
            None
        } else if etype.is_gnu_longname() {
            Some(Meta::LongName)
        } else if etype.is_gnu_longlink() {
            Some(Meta::LongLink)
        } else if etype.is_pax_local_extensions() {
            Some(Meta::Pax)
        } else {
            None
        };
        if let Some(kind) = meta {
            // It describes the next entry, as what is pending does.
            let size = header.entry_size().map_err(|_| {
                format!(
                    "the tar entry after {} has a malformed size field; nothing was stored",
                    self.last()
                )
            })?;
            let padded = padded(size)
                .ok_or_else(|| overflow(&format!("the tar entry after {}", self.last()), size))?;
            self.meta.clear();
            self.pax_scanned = 0;
            self.state = State::Meta {
                kind,
                size,
                padded,
                read: 0,
            };
            if padded == 0 {
                self.state = State::Header;
                self.meta_read(kind)?;
            }
            return Ok(());
        }
        // What the crate names this entry by.
        let pax = self.pax.take();
        let name = self.long_name.take().unwrap_or_else(|| {
            pax.as_deref()
                .and_then(|p| {
                    tar::PaxExtensions::new(p)
                        .filter_map(|r| r.ok())
                        .find(|r| r.key_bytes() == b"path")
                        .map(|r| r.value_bytes().to_vec())
                })
                .unwrap_or_else(|| header.path_bytes().into_owned())
        });
        let mut size = header.entry_size().map_err(|_| {
            format!(
                "tar entry '{}' has a malformed size field; nothing was stored",
                shown(&name)
            )
        })?;
        let extension = etype.is_gnu_longname()
            || etype.is_gnu_longlink()
            || etype.is_pax_local_extensions()
            || etype.is_pax_global_extensions();
        if let Some(pax) = &pax {
            let mut first = None;
            for record in tar::PaxExtensions::new(pax).filter_map(|r| r.ok()) {
                if record.key_bytes() != b"size" {
                    continue;
                }
                let value = record.value_bytes();
                let parsed = std::str::from_utf8(value)
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
                    .ok_or_else(|| {
                        format!(
                            "tar entry '{}' has a pax size of '{}', which is not a size in bytes; nothing was stored",
                            shown(&name),
                            shown(value)
                        )
                    })?;
                first.get_or_insert(parsed);
            }
            if let Some(pax_size) = first.filter(|_| !extension) {
                size = pax_size;
            }
        }
        self.entry = Some(name);
        let padded = padded(size).ok_or_else(|| overflow(&self.last(), size))?;
        let sparse_ext = etype.is_gnu_sparse() && header.as_gnu().is_some_and(|g| g.is_extended());
        self.state = if sparse_ext {
            State::SparseExt { padded }
        } else if padded == 0 {
            State::Header
        } else {
            State::Data { left: padded }
        };
        Ok(())
    }
}

fn overflow(who: &str, size: u64) -> String {
    format!("{who} has a size of {size} bytes, more than a tar stream can hold; nothing was stored")
}

/// Whether a decoder's error says the bytes after its last whole frame
/// start no frame (zstd's and gzip's words for it), rather than that a
/// frame is cut or damaged.
fn starts_no_frame(e: &io::Error) -> bool {
    let text = e.to_string();
    text.contains("Unknown frame descriptor") || text.contains("invalid gzip header")
}

impl<R: Read> Read for TarStream<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(msg) = &self.refusal {
            return Err(io::Error::new(io::ErrorKind::InvalidData, msg.clone()));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            // Past the end-of-archive marker, bytes that start no frame
            // after a frame that ended whole are padding: bsdtar pads its
            // compressed output to a whole record with zeros.
            Err(e) if matches!(self.state, State::End) && starts_no_frame(&e) => return Ok(0),
            Err(e) => {
                let msg = self.failed(&e);
                return Err(self.refuse(msg));
            }
        };
        if n == 0 {
            if matches!(self.state, State::End) {
                return Ok(0);
            }
            let msg = self.cut("the tar stream");
            return Err(self.refuse(msg));
        }
        if let Err(msg) = self.observe(&buf[..n]) {
            return Err(self.refuse(msg));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gives its bytes one at a time.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((&b, rest)), Some(out)) => {
                    *out = b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    /// An entry with a GNU long name and one named by a pax record, then
    /// the marker.
    fn archive() -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(3);
        b.append_data(&mut h, "a".repeat(300), &b"abc"[..]).unwrap();
        let record = b"16 path=p/x.txt\n";
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::XHeader);
        h.set_size(record.len() as u64);
        h.set_cksum();
        b.append(&h, &record[..]).unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_size(700);
        b.append_data(&mut h, "short", &[7u8; 700][..]).unwrap();
        b.into_inner().unwrap()
    }

    /// Reads `input` as ingest does: every entry's data, then to the end.
    fn read_all(input: impl Read) -> Result<Vec<Vec<u8>>, String> {
        let mut stream = TarStream::new(input, None);
        let mut names = Vec::new();
        let read = (|| -> io::Result<()> {
            for entry in tar::Archive::new(&mut stream).entries()? {
                let mut entry = entry?;
                names.push(entry.path_bytes().into_owned());
                io::copy(&mut entry, &mut io::sink())?;
            }
            Ok(())
        })();
        match read {
            Ok(()) => stream.finish().map(|()| names),
            Err(e) => Err(stream
                .refusal()
                .map(str::to_string)
                .unwrap_or(e.to_string())),
        }
    }

    #[test]
    fn a_whole_stream_is_followed_to_its_end_however_it_is_read() {
        let tar = archive();
        let want = vec![b"a".repeat(300), b"p/x.txt".to_vec()];
        assert_eq!(read_all(&tar[..]).unwrap(), want);
        assert_eq!(read_all(Trickle(&tar)).unwrap(), want);
        let mut padded = tar.clone();
        padded.resize(10240, 0);
        assert_eq!(read_all(&padded[..]).unwrap(), want);
    }

    #[test]
    fn a_stream_cut_anywhere_is_refused() {
        let tar = archive();
        for cut in 0..tar.len() {
            let refused = read_all(&tar[..cut]).expect_err("a cut stream is refused");
            assert!(refused.contains("cut short"), "cut at {cut}: {refused}");
        }
    }
}
