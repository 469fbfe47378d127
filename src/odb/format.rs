//! The encoding of one object, shared by loose objects and packs: a zstd
//! *skippable frame* holding `rel <kind> <size>`, then one zstd frame of the
//! content. `zstd -dc` skips the first frame, so `zstd -dc OBJECT | b3sum`
//! prints a blob's id with stock tools. Pure: no file system.

use std::cell::RefCell;
use std::io::{self, Read};
use std::path::Path;

use crate::error::{Error, ObjectAt, io_at};
use crate::id::{Id, Kind};

const SKIPPABLE_MAGIC: u32 = 0x184D_2A52;

thread_local! {
    /// zstd contexts reused by every small object a thread writes or reads:
    /// making a context costs more than compressing a typical source file.
    static COMPRESSOR: RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> =
        const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { RefCell::new(None) };
}

/// Kind and size, from an object's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub kind: Kind,
    pub size: u64,
}

/// Marks an io error raised by a verifying read, so callers can tell a corrupt
/// object from a failing disk.
#[derive(Debug)]
pub(crate) struct CorruptObject {
    pub(crate) id: Id,
    /// Where the copy is, once a reader that knows adds it (see `located`).
    pub(crate) at: Option<ObjectAt>,
    pub(crate) detail: String,
}

impl std::fmt::Display for CorruptObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "object {} is corrupt: {}", self.id, self.detail)
    }
}
impl std::error::Error for CorruptObject {}

pub(crate) fn corrupt_io(id: Id, detail: impl Into<String>) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        CorruptObject {
            id,
            at: None,
            detail: detail.into(),
        },
    )
}

/// Turns an io error from reading an object (or copying out of one) into the
/// core's error: a corruption names the object, anything else the path.
pub fn read_error(e: io::Error, action: &'static str, path: &Path) -> Error {
    if let Some(c) = e.get_ref().and_then(|r| r.downcast_ref::<CorruptObject>()) {
        return Error::Corrupt {
            id: c.id,
            at: c.at.clone(),
            detail: c.detail.clone(),
        };
    }
    io_at(action, path)(e)
}

/// Adds where the copy is to a corruption raised by decoding it.
pub(crate) fn located(e: io::Error, at: &ObjectAt) -> io::Error {
    match e.get_ref().and_then(|r| r.downcast_ref::<CorruptObject>()) {
        Some(c) if c.at.is_none() => io::Error::new(
            io::ErrorKind::InvalidData,
            CorruptObject {
                id: c.id,
                at: Some(at.clone()),
                detail: c.detail.clone(),
            },
        ),
        _ => e,
    }
}

/// The skippable frame that starts every object: `rel <kind> <size>`.
pub(crate) fn header_frame(kind: Kind, size: u64) -> Vec<u8> {
    let header = format!("rel {} {}", kind.name(), size);
    let mut frame = Vec::with_capacity(8 + header.len());
    frame.extend_from_slice(&SKIPPABLE_MAGIC.to_le_bytes());
    frame.extend_from_slice(&(header.len() as u32).to_le_bytes());
    frame.extend_from_slice(header.as_bytes());
    frame
}

/// Below this many bytes an object is stored raw: a zstd frame's own
/// header and checksum would eat what compression saves.
const MIN_COMPRESS: usize = 64;

/// The bytes of an object holding `bytes`: the header frame, then one zstd
/// frame (with its content size), made with the thread's context. Small
/// objects are compressed too, since they are packed side by side (most
/// files of a typical app are small, and a block of their own no longer
/// rounds their size up); an object that compression would not shrink is
/// stored in a raw zstd block.
pub(crate) fn encode(kind: Kind, bytes: &[u8], level: i32) -> io::Result<Vec<u8>> {
    let mut out = header_frame(kind, bytes.len() as u64);
    if bytes.len() < MIN_COMPRESS {
        raw_frame(&mut out, bytes);
        return Ok(out);
    }
    let header_len = out.len();
    out.reserve(zstd::zstd_safe::compress_bound(bytes.len()));
    let start = out.len() as u64;
    COMPRESSOR.with(|cell| -> io::Result<()> {
        let mut cell = cell.borrow_mut();
        if !matches!(&*cell, Some((l, _)) if *l == level) {
            *cell = Some((level, zstd::bulk::Compressor::new(level)?));
        }
        let (_, compressor) = cell.as_mut().expect("made just above");
        let mut cursor = io::Cursor::new(&mut out);
        cursor.set_position(start);
        compressor.compress_to_buffer(bytes, &mut cursor)?;
        Ok(())
    })?;
    if out.len() - header_len >= RAW_FRAME_OVERHEAD + bytes.len() {
        out.truncate(header_len);
        raw_frame(&mut out, bytes);
    }
    Ok(out)
}

/// Magic, frame header and block header of [`raw_frame`], at most.
const RAW_FRAME_OVERHEAD: usize = 4 + 3 + 3;

/// Appends a zstd frame (RFC 8878) holding `bytes` (less than 64 KiB) in
/// one raw block: magic; a frame header saying "single segment" and the
/// content size; a block header saying "last block, raw, N bytes".
fn raw_frame(out: &mut Vec<u8>, bytes: &[u8]) {
    let n = bytes.len();
    debug_assert!(n < 65536 + 256);
    out.extend_from_slice(&0xFD2F_B528u32.to_le_bytes());
    if n < 256 {
        out.push(0x20);
        out.push(n as u8);
    } else {
        out.push(0x60);
        out.extend_from_slice(&((n - 256) as u16).to_le_bytes());
    }
    let block = 1u32 | (n as u32) << 3;
    out.extend_from_slice(&block.to_le_bytes()[..3]);
    out.extend_from_slice(bytes);
}

/// The largest object [`Store::read_whole`] decodes in memory.
pub const WHOLE_LIMIT: u64 = 64 << 20;

/// Decodes and verifies a whole object file held in memory.
pub(crate) fn decode(id: &Id, file: &[u8]) -> io::Result<(Header, Vec<u8>)> {
    let mut rest = file;
    let header = read_header(&mut rest, id)?;
    if header.size > WHOLE_LIMIT {
        return Err(corrupt_io(*id, "larger than expected"));
    }
    let mut out = Vec::with_capacity(header.size as usize);
    DECOMPRESSOR
        .with(|cell| -> io::Result<()> {
            let mut cell = cell.borrow_mut();
            if cell.is_none() {
                *cell = Some(zstd::bulk::Decompressor::new()?);
            }
            let d = cell.as_mut().expect("made just above");
            d.decompress_to_buffer(rest, &mut out)?;
            Ok(())
        })
        .map_err(|e| {
            if e.to_string().contains("too small") {
                // The output filled up: there was more than the header said.
                corrupt_io(*id, "longer than its header says")
            } else {
                corrupt_io(*id, format!("cannot decompress ({e})"))
            }
        })?;
    if out.len() as u64 != header.size {
        return Err(corrupt_io(*id, "shorter than its header says"));
    }
    let mut hasher = header.kind.hasher();
    hasher.update(&out);
    if Id::from(hasher.finalize()) != *id {
        return Err(corrupt_io(*id, "content does not match its id"));
    }
    Ok((header, out))
}

pub(crate) fn read_header(r: &mut dyn Read, id: &Id) -> io::Result<Header> {
    let mut fixed = [0u8; 8];
    r.read_exact(&mut fixed)
        .map_err(|_| corrupt_io(*id, "too short for a header"))?;
    let magic = u32::from_le_bytes(fixed[..4].try_into().expect("4 bytes"));
    let len = u32::from_le_bytes(fixed[4..].try_into().expect("4 bytes"));
    if magic != SKIPPABLE_MAGIC || len > 64 {
        return Err(corrupt_io(*id, "bad header"));
    }
    let mut text = vec![0u8; len as usize];
    r.read_exact(&mut text)
        .map_err(|_| corrupt_io(*id, "truncated header"))?;
    let text = String::from_utf8(text).map_err(|_| corrupt_io(*id, "bad header"))?;
    let mut parts = text.split(' ');
    let (Some("rel"), Some(kind), Some(size), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(corrupt_io(*id, "bad header"));
    };
    let kind = Kind::from_name(kind).ok_or_else(|| corrupt_io(*id, "unknown kind"))?;
    let size = size.parse().map_err(|_| corrupt_io(*id, "bad size"))?;
    Ok(Header { kind, size })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_frames_decode_as_zstd() {
        for n in [0usize, 1, 255, 256, 257, 1000, 4000, 4096, 65535] {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 31 % 256) as u8).collect();
            let mut frame = Vec::new();
            raw_frame(&mut frame, &bytes);
            let back = zstd::bulk::decompress(&frame, n.max(1)).expect("decodes");
            assert_eq!(back, bytes, "{n} bytes");
            let id = Kind::Blob.id_of(&bytes);
            let mut object = header_frame(Kind::Blob, n as u64);
            object.extend_from_slice(&frame);
            let (header, out) = decode(&id, &object).expect("verifies");
            assert_eq!((header.size, out), (n as u64, bytes));
        }
    }
}
