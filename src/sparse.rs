//! Sparse files in pax tar streams (`GNU.sparse.*` formats 0.0, 0.1, 1.0).
//!
//! GNU tar (`--format=posix -S`) and bsdtar (by default, for files with
//! holes) store a sparse file's data regions one after the other as the
//! entry's data, and say where they go in a map: in pax records in formats
//! 0.0 (`GNU.sparse.offset`/`numbytes` pairs) and 0.1 (`GNU.sparse.map`),
//! and in format 1.0 at the start of the data (decimal text, padded to 512
//! bytes), with the real name and size in pax records.
//! [`SparseReader`] turns such an entry back into the file's bytes, holes
//! as zeros. GNU's own sparse entries (type `S`) are expanded by the tar
//! crate itself.

use std::io::{self, Read};

/// The pax records that describe a sparse file.
#[derive(Debug)]
pub struct SparseInfo {
    /// `GNU.sparse.major`.`minor`, e.g. "1.0"; "0.x" when only 0.x records appear.
    pub version: String,
    /// `GNU.sparse.name`: the file's real path.
    pub name: Option<Vec<u8>>,
    /// `GNU.sparse.realsize` (or `GNU.sparse.size` of format 0.x).
    pub real_size: Option<u64>,
    /// The data regions (offset, length) of format 0.0 or 0.1, or why
    /// their records do not make a map.
    pub map: Result<Vec<(u64, u64)>, String>,
}

impl Default for SparseInfo {
    fn default() -> SparseInfo {
        SparseInfo {
            version: String::new(),
            name: None,
            real_size: None,
            map: Ok(Vec::new()),
        }
    }
}

impl SparseInfo {
    /// The sparse records among an entry's pax records, if any.
    pub fn from_pax<'a>(records: impl Iterator<Item = (&'a str, &'a [u8])>) -> Option<SparseInfo> {
        let mut info = SparseInfo::default();
        let (mut major, mut minor, mut any) = (None, None, false);
        let (mut map, mut offset, mut blocks) = (Vec::new(), None, None);
        let mut bad = None;
        for (key, value) in records {
            let Some(field) = key.strip_prefix("GNU.sparse.") else {
                continue;
            };
            any = true;
            let number = || std::str::from_utf8(value).ok()?.trim().parse::<u64>().ok();
            match field {
                "major" => major = number(),
                "minor" => minor = number(),
                "name" => info.name = Some(value.to_vec()),
                "realsize" | "size" => info.real_size = number(),
                "numblocks" => blocks = number(),
                // Format 0.0: pairs of records, in order.
                "offset" => {
                    if offset.is_some() {
                        bad.get_or_insert("a GNU.sparse.offset has no GNU.sparse.numbytes");
                    }
                    offset = number();
                    if offset.is_none() {
                        bad.get_or_insert("a GNU.sparse.offset is not a number");
                    }
                }
                "numbytes" => match (offset.take(), number()) {
                    (Some(at), Some(len)) => map.push((at, len)),
                    _ => {
                        bad.get_or_insert(
                            "a GNU.sparse.numbytes has no GNU.sparse.offset before it",
                        );
                    }
                },
                // Format 0.1: offset,length,offset,length...
                "map" => {
                    let numbers: Option<Vec<u64>> = std::str::from_utf8(value)
                        .ok()
                        .filter(|v| !v.is_empty())
                        .map(|v| v.split(',').map(|n| n.trim().parse().ok()).collect())
                        .unwrap_or(Some(Vec::new()));
                    match numbers {
                        Some(n) if n.len() % 2 == 0 => {
                            map.extend(n.chunks(2).map(|pair| (pair[0], pair[1])));
                        }
                        _ => {
                            bad.get_or_insert("GNU.sparse.map is not pairs of numbers");
                        }
                    }
                }
                _ => {}
            }
            if map.len() > MAX_REGIONS {
                bad.get_or_insert("the sparse map lists more regions than rel reads");
                map.clear();
            }
        }
        if offset.is_some() {
            bad.get_or_insert("a GNU.sparse.offset has no GNU.sparse.numbytes");
        }
        if blocks.is_some_and(|n| n != map.len() as u64) {
            bad.get_or_insert("GNU.sparse.numblocks does not match the map");
        }
        info.map = match bad {
            Some(why) => Err(why.to_string()),
            None => Ok(map),
        };
        if !any {
            return None;
        }
        info.version = match (major, minor) {
            (Some(major), Some(minor)) => format!("{major}.{minor}"),
            _ => "0.x".to_string(),
        };
        Some(info)
    }
}

/// The most data regions a sparse map may list: the map is held in memory
/// (16 bytes a region) while the file streams.
const MAX_REGIONS: usize = 1 << 20;

/// A sparse file's bytes, read from its format 1.0 entry data.
pub struct SparseReader<R> {
    inner: R,
    /// Data regions (offset, length), in order, the first at `regions[next]`.
    regions: Vec<(u64, u64)>,
    next: usize,
    /// Position in the expanded file.
    pos: u64,
    real_size: u64,
}

fn bad(detail: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, detail.into())
}

impl<R: Read> SparseReader<R> {
    /// Reads the map at the start of `inner` (an entry's data of `stored`
    /// bytes) for a file of `real_size` bytes.
    pub fn new(mut inner: R, stored: u64, real_size: u64) -> io::Result<SparseReader<R>> {
        let mut consumed = 0u64;
        let mut number = || -> io::Result<u64> {
            let mut digits = Vec::new();
            loop {
                let mut byte = [0u8; 1];
                if inner.read(&mut byte)? == 0 {
                    return Err(bad("the sparse map ends early"));
                }
                consumed += 1;
                match byte[0] {
                    b'\n' => break,
                    b @ b'0'..=b'9' if digits.len() < 20 => digits.push(b),
                    _ => return Err(bad("the sparse map is not decimal numbers")),
                }
            }
            std::str::from_utf8(&digits)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("the sparse map is not decimal numbers"))
        };
        let count = number()?;
        if count > MAX_REGIONS as u64 {
            return Err(bad(format!(
                "the sparse map lists {count} regions, more than rel reads ({MAX_REGIONS})"
            )));
        }
        let mut regions = Vec::with_capacity(count as usize);
        for _ in 0..count {
            regions.push((number()?, number()?));
        }
        let padding = (512 - consumed % 512) % 512;
        let data = stored
            .checked_sub(consumed + padding)
            .ok_or_else(|| bad("the sparse map does not match the entry's size in the stream"))?;
        io::copy(&mut (&mut inner).take(padding), &mut io::sink())?;
        SparseReader::with_map(inner, regions, data, real_size)
    }

    /// A file of `real_size` bytes whose data regions, `stored` bytes in
    /// all, are read from `inner` and placed by `regions` (offset, length).
    pub fn with_map(
        inner: R,
        regions: Vec<(u64, u64)>,
        stored: u64,
        real_size: u64,
    ) -> io::Result<SparseReader<R>> {
        let (mut end, mut data) = (0u64, 0u64);
        for &(offset, len) in &regions {
            let stop = offset
                .checked_add(len)
                .filter(|&stop| offset >= end && stop <= real_size)
                .ok_or_else(|| bad("the sparse map's regions overlap or pass the file's size"))?;
            end = stop;
            data += len;
        }
        if data != stored {
            return Err(bad(
                "the sparse map does not match the entry's size in the stream",
            ));
        }
        Ok(SparseReader {
            inner,
            regions,
            next: 0,
            pos: 0,
            real_size,
        })
    }
}

impl<R: Read> Read for SparseReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.pos == self.real_size {
            return Ok(0);
        }
        // Regions of no bytes (GNU tar ends a map with one at the file's end).
        while self
            .regions
            .get(self.next)
            .is_some_and(|&(offset, len)| len == 0 && offset <= self.pos)
        {
            self.next += 1;
        }
        let (hole_end, region) = match self.regions.get(self.next) {
            Some(&(offset, len)) => (offset, Some(offset + len)),
            None => (self.real_size, None),
        };
        if self.pos < hole_end {
            let n = (hole_end - self.pos).min(buf.len() as u64) as usize;
            buf[..n].fill(0);
            self.pos += n as u64;
            return Ok(n);
        }
        let Some(region_end) = region else {
            return Ok(0);
        };
        let want = (region_end - self.pos).min(buf.len() as u64) as usize;
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.pos += n as u64;
        if self.pos == region_end {
            self.next += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(map: &str, data: &[u8]) -> Vec<u8> {
        let mut out = map.as_bytes().to_vec();
        out.resize(out.len().div_ceil(512) * 512, 0);
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn holes_read_as_zeros_and_regions_as_data() {
        let input = stream("3\n2\n3\n8\n1\n10\n0\n", b"abcz");
        let mut r = SparseReader::new(&input[..], input.len() as u64, 10).expect("map");
        let mut out = Vec::new();
        r.read_to_end(&mut out).expect("reads");
        assert_eq!(out, b"\0\0abc\0\0\0z\0");
    }

    #[test]
    fn a_map_that_disagrees_with_the_entry_is_refused() {
        let input = stream("1\n0\n5\n", b"abc");
        assert!(SparseReader::new(&input[..], input.len() as u64, 5).is_err());
        let input = stream("2\n4\n1\n2\n1\n", b"ab");
        assert!(SparseReader::new(&input[..], input.len() as u64, 9).is_err());
    }
}
