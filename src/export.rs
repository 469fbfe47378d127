//! Export: a slug as a tar stream (GNU format, long names and non-UTF-8
//! names kept), streamed object by object, so memory does not grow with the
//! slug. Entries carry mode 0644/0755, owner 0 and mtime 0, so one slug
//! always gives the same bytes.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::id::{Id, Kind};
use crate::odb::format::read_error;
use crate::store::Store;
use crate::tree::EntryKind;

pub fn export_slug(store: &Store, slug: &Id, out: &mut dyn Write) -> Result<()> {
    let mut builder = tar::Builder::new(out);
    let mut stack: Vec<(Id, PathBuf)> = vec![(*slug, PathBuf::new())];
    let write_err = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Error::Io {
                action: "write",
                path: PathBuf::from("standard output"),
                source: e,
            }
        } else {
            read_error(e, "write", Path::new("standard output"))
        }
    };
    // The root first, as `tar -C DIR -c .` writes it: the stream of an
    // empty slug then still holds an entry, and write-slug, which refuses a
    // tar with none, reads it back as the same (empty) slug.
    let mut root = tar::Header::new_gnu();
    root.set_entry_type(tar::EntryType::Directory);
    root.set_mode(0o755);
    root.set_size(0);
    root.set_uid(0);
    root.set_gid(0);
    root.set_mtime(0);
    builder
        .append_data(&mut root, ".", std::io::empty())
        .map_err(write_err)?;
    while let Some((tree_id, dir)) = stack.pop() {
        let tree = store.read_tree(&tree_id)?;
        // Directories are pushed in reverse so they come out in order.
        let mut subdirs = Vec::new();
        for e in &tree.entries {
            let path = dir.join(OsStr::from_bytes(&e.name));
            let mut header = tar::Header::new_gnu();
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(0);
            match e.kind {
                EntryKind::Dir => {
                    header.set_entry_type(tar::EntryType::Directory);
                    header.set_mode(0o755);
                    header.set_size(0);
                    builder
                        .append_data(&mut header, &path, std::io::empty())
                        .map_err(write_err)?;
                    subdirs.push((e.id, path));
                }
                EntryKind::File | EntryKind::Executable => {
                    header.set_entry_type(tar::EntryType::Regular);
                    header.set_mode(if e.kind == EntryKind::Executable {
                        0o755
                    } else {
                        0o644
                    });
                    header.set_size(e.size);
                    let reader = store.open_object(&e.id)?;
                    builder
                        .append_data(&mut header, &path, reader)
                        .map_err(write_err)?;
                }
                EntryKind::Symlink => {
                    let target = store.read_small(&e.id, Kind::Blob)?;
                    header.set_entry_type(tar::EntryType::Symlink);
                    header.set_mode(0o777);
                    header.set_size(0);
                    builder
                        .append_link(&mut header, &path, Path::new(OsStr::from_bytes(&target)))
                        .map_err(write_err)?;
                }
            }
        }
        stack.extend(subdirs.into_iter().rev());
    }
    builder
        .into_inner()
        .map_err(write_err)?
        .flush()
        .map_err(write_err)?;
    Ok(())
}
