//! Writing large files past the page cache (`O_DIRECT`).
//!
//! A large blob's object and its checkout copy are written once and not read
//! back by rel soon (the checkout copy is made from the same buffer as the
//! object, see `odb/write.rs`). Through the page cache, each new page costs a
//! copy and, on a VM whose idle memory is handed back to the host, a host
//! fault; `syncfs` then flushes it all. Direct writes of aligned blocks go
//! from rel's buffer to the disk, at the disk's speed and a fraction of the
//! CPU, and leave the cache to what the running app reads.
//!
//! The buffer is 4 KiB-aligned and flushed in whole blocks; the last partial
//! block is written after `O_DIRECT` is turned off on the descriptor. Where
//! the file system refuses `O_DIRECT` (tmpfs), the file is written normally.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsRawFd;

/// The alignment (and the unit) of direct writes.
const BLOCK: usize = 4096;
/// How much is buffered between writes, at most (large files).
const CHUNK: usize = 4 << 20;
/// ... and for files known to be smaller than 16 MiB.
const SMALL_CHUNK: usize = 1 << 20;

pub struct DirectWriter {
    file: File,
    /// `chunk + BLOCK` bytes, of which `buf[start..start + chunk]` is aligned.
    buf: Vec<u8>,
    chunk: usize,
    start: usize,
    len: usize,
    direct: bool,
}

impl DirectWriter {
    /// Takes a file opened for writing at offset 0, turning `O_DIRECT` on
    /// when the file system allows it.
    pub fn new(file: File) -> DirectWriter {
        DirectWriter::sized(file, CHUNK)
    }

    /// As [`new`](Self::new), with a smaller buffer for a file of `size`
    /// bytes less than 16 MiB: memory stays bounded while both cores write.
    pub fn for_size(file: File, size: u64) -> DirectWriter {
        let chunk = if size < 16 << 20 { SMALL_CHUNK } else { CHUNK };
        DirectWriter::sized(file, chunk)
    }

    fn sized(file: File, chunk: usize) -> DirectWriter {
        let direct = set_direct(&file, true).is_ok();
        let buf = vec![0u8; chunk + BLOCK];
        let start = buf.as_ptr().align_offset(BLOCK).min(BLOCK);
        DirectWriter {
            file,
            buf,
            chunk,
            start,
            len: 0,
            direct,
        }
    }

    fn flush_blocks(&mut self) -> io::Result<()> {
        let whole = self.len / BLOCK * BLOCK;
        if whole > 0 {
            let at = self.start;
            self.file.write_all(&self.buf[at..at + whole])?;
            self.buf.copy_within(at + whole..at + self.len, at);
            self.len -= whole;
        }
        Ok(())
    }

    /// Writes what is buffered, the partial last block included, and returns
    /// the file.
    pub fn finish(mut self) -> io::Result<File> {
        self.flush_blocks()?;
        if self.len > 0 {
            if self.direct {
                set_direct(&self.file, false)?;
            }
            let at = self.start;
            self.file.write_all(&self.buf[at..at + self.len])?;
            self.len = 0;
        }
        Ok(self.file)
    }
}

impl Write for DirectWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.len == self.chunk {
            self.flush_blocks()?;
        }
        let n = data.len().min(self.chunk - self.len);
        let at = self.start + self.len;
        self.buf[at..at + n].copy_from_slice(&data[..n]);
        self.len += n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn set_direct(file: &File, on: bool) -> io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor `file` keeps open; no memory is passed.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 {
            return Err(io::Error::last_os_error());
        }
        let flags = if on {
            flags | libc::O_DIRECT
        } else {
            flags & !libc::O_DIRECT
        };
        if libc::fcntl(fd, libc::F_SETFL, flags) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn odd_sizes_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        for size in [
            0usize,
            1,
            4095,
            4096,
            4097,
            CHUNK - 1,
            CHUNK,
            CHUNK + 4097,
            3 * CHUNK + 5,
        ] {
            let path = dir.path().join(format!("f{size}"));
            let data: Vec<u8> = (0..size).map(|i| (i * 7 + i / 4096) as u8).collect();
            let file = File::create(&path).expect("create");
            // Both buffer sizes, on odd and even sizes.
            let mut w = if size % 2 == 0 {
                DirectWriter::new(file)
            } else {
                DirectWriter::for_size(file, 1)
            };
            for piece in data.chunks(1000 + size % 3000) {
                w.write_all(piece).expect("write");
            }
            w.finish().expect("finish");
            let mut back = Vec::new();
            File::open(&path)
                .expect("open")
                .read_to_end(&mut back)
                .expect("read");
            assert!(back == data, "size {size}");
        }
    }
}
