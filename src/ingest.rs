//! Ingest: turning a directory or a tar stream into a slug (a root tree).
//!
//! Both paths check all of their input before a single object reaches the
//! store: a directory is scanned whole first (special files are refused
//! before anything is hashed); a tar stream is stored into a staging
//! directory that is committed only once the last entry has been accepted.
//! Files are hashed and compressed on every core.
//!
//! A symlink may point anywhere (a virtualenv links to the system python):
//! its target is data, stored as a blob and recreated verbatim by checkout,
//! never followed. Links that lead outside the slug are counted, so that
//! the command can say so.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsStr;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use rayon::prelude::*;

use crate::checkout::PreparedCheckout;
use crate::error::{Error, Result, io_at};
use crate::id::{Id, Kind};
use crate::odb::write::open_scanned;
use crate::odb::{LARGE_FILE, SMALL_FILE, Staging};
use crate::progress::Progress;
use crate::sparse::{SparseInfo, SparseReader};
use crate::statcache::{self, FileStat, StatCache};
use crate::store::Store;
use crate::tarstream::{MAX_NAME, MAX_PATH, TarStream};
use crate::tree::{Entry, EntryKind, Tree};

/// Names never stored, at any depth.
const NEVER_STORED: [&[u8]; 2] = [b".git", b".releases"];
/// The ignore file read at the source root (gitignore syntax).
pub const SLUGIGNORE: &str = ".slugignore";

#[derive(Clone, Copy, Debug, Default)]
pub struct IngestStats {
    pub files: u64,
    pub bytes: u64,
}

#[derive(Clone, Debug)]
pub struct Ingested {
    pub slug: Id,
    pub stats: IngestStats,
    pub outside: OutsideLinks,
}

/// The symlinks of a slug that lead outside it, absolute or up and out with
/// `..` (on their own or through other links of the slug): stored like any
/// other, and counted for the command to tell.
#[derive(Clone, Debug, Default)]
pub struct OutsideLinks {
    pub count: u64,
    /// The first such link in the slug's order: (path in the slug, target).
    pub first: Option<(Vec<u8>, Vec<u8>)>,
}

/// What a slug would hold, before its objects are written.
enum Node {
    File {
        index: usize,
        exec: bool,
    },
    Link {
        target: Vec<u8>,
    },
    Dir(BTreeMap<Vec<u8>, Node>),
    /// Already stored (tar input).
    Stored {
        kind: EntryKind,
        id: Id,
        size: u64,
    },
}

/// Whether a symlink at `link_path` (relative to the slug root) pointing to
/// `target` stays inside the slug, judged lexically.
fn link_stays_inside(link_path: &[u8], target: &[u8]) -> bool {
    if target.is_empty() || target.starts_with(b"/") {
        return false;
    }
    let mut depth: i64 = link_path
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .count() as i64
        - 1;
    for comp in target.split(|&b| b == b'/') {
        match comp {
            b"" | b"." => {}
            b".." => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => depth += 1,
        }
    }
    true
}

/// A name from input as messages show it: control bytes quoted, and cut
/// short when it is long.
fn show(path: &[u8]) -> String {
    crate::quote::shown(path)
}

/// A regular file found by the scan of a directory. Its path is not kept
/// (root + `rel` gives it): a tree's files are all in memory at once.
struct SourceFile {
    /// Relative to the source root: the stat cache's key.
    rel: Vec<u8>,
    stat: FileStat,
    exec: bool,
}

/// Stores the directory `root` as a slug (or, without a store, only hashes it).
///
/// With a store, files whose stat matches the stat cache (`.releases/index`,
/// see [`crate::statcache`]) are not read: their blob is already stored.
/// What is read is also written to `prepared`, if given.
pub fn ingest_dir(
    store: Option<&Store>,
    prepared: Option<&PreparedCheckout>,
    root: &Path,
    progress: &dyn Progress,
) -> Result<Ingested> {
    in_one_pack(store, || {
        ingest_dir_objects(store, prepared, root, progress)
    })
}

/// Runs an ingest with the store's new small objects going into one pack,
/// published (durably) when the ingest succeeds, dropped when it fails.
fn in_one_pack(
    store: Option<&Store>,
    ingest: impl FnOnce() -> Result<Ingested>,
) -> Result<Ingested> {
    let Some(store) = store else {
        return ingest();
    };
    store.begin_pack();
    match ingest() {
        Ok(ingested) => {
            store.end_pack()?;
            Ok(ingested)
        }
        Err(e) => {
            store.discard_pack();
            Err(e)
        }
    }
}

fn ingest_dir_objects(
    store: Option<&Store>,
    prepared: Option<&PreparedCheckout>,
    root: &Path,
    progress: &dyn Progress,
) -> Result<Ingested> {
    let start = SystemTime::now();
    let meta = fs::metadata(root).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::refused(format!(
            "'{}' does not exist; name the directory to deploy, or - for a tar stream on stdin",
            root.display()
        )),
        _ => io_at("read", root)(e),
    })?;
    if !meta.is_dir() {
        return Err(Error::refused(format!(
            "'{}' is not a directory; name a directory, or - for a tar stream on stdin",
            root.display()
        )));
    }
    let ignore = slugignore(root)?;
    let found = Mutex::new(Vec::new());
    let tree = scan(root, b"", &ignore, &found)?;
    let files: Vec<SourceFile> = found.into_inner().unwrap_or_else(|e| e.into_inner());
    let outside = match &tree {
        Node::Dir(children) => outside_links(children, &HashMap::new()),
        _ => OutsideLinks::default(),
    };

    // The cache is keyed by the canonical source path; without one, no cache.
    let canonical = store.and_then(|_| fs::canonicalize(root).ok());
    let cache = match (store, &canonical) {
        (Some(store), Some(root)) => StatCache::load(store, root),
        _ => StatCache::default(),
    };
    // Nothing changed: every file is in the index, and the slug those blobs
    // make is stored. gc deletes a slug's root tree before anything else
    // of it, so a stored root means every object below it is stored too,
    // and the 28k blob checks of the general path are not needed.
    if let Some(store) = store {
        let hits: Option<Vec<Id>> = files
            .par_iter()
            .map(|f| cache.get(&f.rel, &f.stat))
            .collect();
        if let Some(ids) = hits {
            let sizes: Vec<u64> = files.iter().map(|f| f.stat.size).collect();
            let (slug, _) = build(None, &tree, &ids, &sizes)?;
            if store.has_object_fresh(&slug) {
                return Ok(Ingested {
                    slug,
                    stats: IngestStats {
                        files: files.len() as u64,
                        bytes: sizes.iter().sum(),
                    },
                    outside,
                });
            }
        }
    }
    progress.start("Hashing", Some(files.len() as u64));
    let cached = |file: &SourceFile| {
        let store = store?;
        cache
            .get(&file.rel, &file.stat)
            .filter(|id| store.has_object_fresh(id))
    };
    // Small files in parallel; large ones after, one at a time, each on
    // every core (memory stays bounded whatever the tree holds).
    // A deploy's checkout gets a copy of what is read (see PreparedCheckout).
    let store_file = |store: &Store, file: &SourceFile, large: bool| -> Result<Id> {
        let path = root.join(OsStr::from_bytes(&file.rel));
        let copied = AtomicBool::new(false);
        let copy = |again: Option<&Id>| {
            let out = match (prepared, again) {
                (None, _) => None,
                (Some(prepared), Some(id)) => {
                    prepared.duplicate(&file.rel, file.exec, *id)?;
                    None
                }
                (Some(prepared), None) => prepared.file(&file.rel, file.exec)?,
            };
            copied.store(out.is_some(), Ordering::Relaxed);
            Ok(out)
        };
        let id = if large {
            let settled = file.stat.settled(start);
            store.write_large_file(&path, &file.stat, settled, &copy, &|n| progress.add(0, n))?
        } else {
            let seen = Some((file.stat.dev, file.stat.ino));
            store.write_blob_file_copy(&path, file.stat.size, seen, &copy)?
        };
        if let Some(prepared) = prepared
            && copied.load(Ordering::Relaxed)
        {
            prepared.written(&file.rel, file.exec, id, file.stat.size > SMALL_FILE);
        }
        Ok(id)
    };
    let mut ids: Vec<Option<Id>> = files
        .par_iter()
        .map(|file| {
            let size = file.stat.size;
            if let Some(id) = cached(file) {
                progress.add(1, size);
                return Ok(Some(id));
            }
            if store.is_some() && size >= LARGE_FILE {
                return Ok(None);
            }
            let id = match store {
                Some(store) => store_file(store, file, false)?,
                None => hash_file(&root.join(OsStr::from_bytes(&file.rel)), &file.stat)?,
            };
            progress.add(1, size);
            Ok(Some(id))
        })
        .collect::<Result<_>>()?;
    if let Some(store) = store {
        for (file, id) in files.iter().zip(ids.iter_mut()) {
            if id.is_none() {
                // Its bytes were counted as they were stored.
                *id = Some(store_file(store, file, true)?);
                progress.add(1, 0);
            }
        }
    }
    let ids: Vec<Id> = ids.into_iter().flatten().collect();
    progress.finish();
    if let Some(prepared) = prepared {
        let found = files.iter().zip(&ids);
        prepared.link_duplicates(found.map(|(f, id)| (f.rel.as_slice(), *id, f.exec)));
    }

    let sizes: Vec<u64> = files.iter().map(|f| f.stat.size).collect();
    let (slug, _) = build(store, &tree, &ids, &sizes)?;
    if let (Some(prepared), Node::Dir(children)) = (prepared, &tree) {
        let mut census = Census::default();
        census.walk(prepared, children, b"")?;
        prepared.tie_to(slug, census.dirs + 1, files.len() + census.links);
    }
    if let (Some(store), Some(root)) = (store, &canonical) {
        statcache::save(store, root, &cache, files.len(), |i| {
            let file = &files[i];
            file.stat
                .settled(start)
                .then(|| (file.rel.as_slice(), file.stat, ids[i]))
        });
    }
    let stats = IngestStats {
        files: files.len() as u64,
        bytes: sizes.iter().sum(),
    };
    Ok(Ingested {
        slug,
        stats,
        outside,
    })
}

fn slugignore(root: &Path) -> Result<Gitignore> {
    let path = root.join(SLUGIGNORE);
    let mut builder = GitignoreBuilder::new(root);
    if path.is_file()
        && let Some(e) = builder.add(&path)
    {
        return Err(Error::refused(format!(
            "'{}' is not valid gitignore syntax: {e}",
            path.display()
        )));
    }
    builder.build().map_err(|e| {
        Error::refused(format!(
            "'{}' is not valid gitignore syntax: {e}",
            path.display()
        ))
    })
}

/// Reads the directory `dir` (at `rel` in the slug) and, in parallel, its
/// subdirectories. Files are numbered in the order they are found.
fn scan(
    dir: &Path,
    rel: &[u8],
    ignore: &Gitignore,
    files: &Mutex<Vec<SourceFile>>,
) -> Result<Node> {
    let mut children = BTreeMap::new();
    let mut subdirs = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_at("read", dir))? {
        let entry = entry.map_err(io_at("read", dir))?;
        let name = entry.file_name().as_bytes().to_vec();
        if NEVER_STORED.contains(&name.as_slice()) {
            continue;
        }
        let path = entry.path();
        let rel_path = if rel.is_empty() {
            name.clone()
        } else {
            [rel, b"/", &name].concat()
        };
        // Relative to the open directory: no walk of the whole path.
        let meta = entry.metadata().map_err(io_at("read", &path))?;
        let ft = meta.file_type();
        if !ignore.is_empty()
            && ignore
                .matched(Path::new(OsStr::from_bytes(&rel_path)), ft.is_dir())
                .is_ignore()
        {
            continue;
        }
        let node = if ft.is_dir() {
            subdirs.push((name, path, rel_path));
            continue;
        } else if ft.is_file() {
            let exec = meta.mode() & 0o111 != 0;
            let file = SourceFile {
                rel: rel_path,
                stat: FileStat::of(&meta),
                exec,
            };
            let mut files = files.lock().unwrap_or_else(|e| e.into_inner());
            files.push(file);
            Node::File {
                index: files.len() - 1,
                exec,
            }
        } else if ft.is_symlink() {
            // The link itself is read, never what it points to.
            let target = fs::read_link(&path).map_err(io_at("read", &path))?;
            let target = target.as_os_str().as_bytes().to_vec();
            Node::Link { target }
        } else {
            let what = if ft.is_fifo() {
                "a fifo"
            } else if ft.is_socket() {
                "a socket"
            } else {
                "a device file"
            };
            return Err(Error::refused(format!(
                "'{}' is {what}, which a slug cannot hold; remove it or add it to {SLUGIGNORE}",
                show(path.as_os_str().as_bytes())
            )));
        };
        children.insert(name, node);
    }
    let scanned: Vec<(Vec<u8>, Node)> = subdirs
        .into_par_iter()
        .map(|(name, path, rel_path)| Ok((name, scan(&path, &rel_path, ignore, files)?)))
        .collect::<Result<_>>()?;
    children.extend(scanned);
    Ok(Node::Dir(children))
}

/// The blob id of a file the scan found (`stat`), read as
/// [`open_scanned`] allows.
fn hash_file(path: &Path, stat: &FileStat) -> Result<Id> {
    let size = stat.size;
    let mut file = open_scanned(path, Some((stat.dev, stat.ino)))?;
    let mut hasher = blake3::Hasher::new();
    let n = std::io::copy(&mut file, &mut hasher).map_err(io_at("read", path))?;
    if n != size {
        return Err(Error::SourceChanged {
            path: path.to_path_buf(),
        });
    }
    Ok(Id::from(hasher.finalize()))
}

/// Writes (or only hashes) the trees of `node`, bottom-up, sibling
/// directories in parallel. `ids` and `sizes` are those of the numbered files.
fn build(store: Option<&Store>, node: &Node, ids: &[Id], sizes: &[u64]) -> Result<(Id, u64)> {
    let Node::Dir(children) = node else {
        unreachable!("build starts at a directory");
    };
    let entries = children
        .par_iter()
        .map(|(name, child)| {
            let (kind, id, size) = match child {
                Node::File { index, exec } => {
                    let kind = if *exec {
                        EntryKind::Executable
                    } else {
                        EntryKind::File
                    };
                    (kind, ids[*index], sizes[*index])
                }
                Node::Link { target } => {
                    let id = match store {
                        Some(store) => store.write_bytes(Kind::Blob, target)?,
                        None => Kind::Blob.id_of(target),
                    };
                    (EntryKind::Symlink, id, target.len() as u64)
                }
                Node::Dir(_) => {
                    let (id, size) = build(store, child, ids, sizes)?;
                    (EntryKind::Dir, id, size)
                }
                Node::Stored { kind, id, size } => (*kind, *id, *size),
            };
            Ok(Entry {
                kind,
                name: name.clone(),
                size,
                id,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let tree = Tree::new(entries)?;
    match store {
        Some(store) => store.write_tree(&tree),
        None => {
            let bytes = tree.encode();
            Ok((Kind::Tree.id_of(&bytes), bytes.len() as u64))
        }
    }
}

/// Directories and symlinks of a scanned directory; on the way, the
/// symlinks of a deploy's prepared checkout.
#[derive(Default)]
struct Census {
    dirs: usize,
    links: usize,
}

impl Census {
    fn walk(
        &mut self,
        prepared: &PreparedCheckout,
        dir: &BTreeMap<Vec<u8>, Node>,
        rel: &[u8],
    ) -> Result<()> {
        for (name, node) in dir {
            let path = if rel.is_empty() {
                name.clone()
            } else {
                [rel, b"/", name].concat()
            };
            match node {
                Node::Dir(children) => {
                    self.dirs += 1;
                    self.walk(prepared, children, &path)?;
                }
                Node::Link { target } => {
                    self.links += 1;
                    prepared.symlink(&path, target)?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Files and bytes of a slug's regular files.
fn count(dir: &BTreeMap<Vec<u8>, Node>, stats: &mut IngestStats) {
    for node in dir.values() {
        match node {
            Node::Stored {
                kind: EntryKind::File | EntryKind::Executable,
                size,
                ..
            } => {
                stats.files += 1;
                stats.bytes += size;
            }
            Node::Dir(children) => count(children, stats),
            _ => {}
        }
    }
}

/// The sparse-file records of a tar entry's pax header, if it has any.
fn sparse_info<R: Read>(entry: &mut tar::Entry<R>) -> std::io::Result<Option<SparseInfo>> {
    let Some(records) = entry.pax_extensions()? else {
        return Ok(None);
    };
    Ok(SparseInfo::from_pax(
        records
            .filter_map(|r| r.ok())
            .filter_map(|r| Some((r.key().ok()?, r.value_bytes()))),
    ))
}

/// Stores a tar stream (plain or zstd-compressed) as a slug.
pub fn ingest_tar(
    store: Option<&Store>,
    input: &mut dyn Read,
    progress: &dyn Progress,
) -> Result<Ingested> {
    in_one_pack(store, || ingest_tar_objects(store, input, progress))
}

fn ingest_tar_objects(
    store: Option<&Store>,
    input: &mut dyn Read,
    progress: &dyn Progress,
) -> Result<Ingested> {
    let mut input = BufReader::with_capacity(1 << 20, input);
    let head = input
        .fill_buf()
        .map_err(|e| Error::refused(format!("could not read standard input: {e}")))?;
    if head.is_empty() {
        return Err(Error::refused(
            "standard input is empty; pipe a tar stream into rel (tar -C DIR -c . | rel deploy -)",
        ));
    }
    let other = [
        (&b"BZh"[..], "bzip2"),
        (&[0xfd, b'7', b'z', b'X', b'Z', 0x00], "xz"),
    ];
    if let Some((_, name)) = other.iter().find(|(magic, _)| head.starts_with(magic)) {
        return Err(Error::refused(format!(
            "standard input is {name}-compressed; rel reads plain, gzip or zstd tar streams: pipe 'tar -c', 'tar -cz' or 'tar -c | zstd' instead; nothing was stored"
        )));
    }
    let (reader, compression): (Box<dyn Read>, _) = if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let zstd = zstd::stream::read::Decoder::with_buffer(input)
            .map_err(|e| Error::refused(format!("could not read the zstd stream: {e}")))?;
        (Box::new(zstd), Some("zstd"))
    } else if head.starts_with(&[0x1f, 0x8b]) {
        let gzip = flate2::bufread::MultiGzDecoder::new(input);
        (Box::new(gzip), Some("gzip"))
    } else {
        (Box::new(input), None)
    };
    // Followed through its headers, to refuse a stream that is cut short.
    let mut stream = TarStream::new(reader, compression);
    let staging = store.map(Staging::new).transpose()?;
    let mut archive = tar::Archive::new(&mut stream);
    let mut root: BTreeMap<Vec<u8>, Node> = BTreeMap::new();
    let mut slugignore: Option<Vec<u8>> = None;
    // Symlink targets by path, to follow chains of links once all are known.
    let mut link_targets: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    let mut seen = 0u64;
    progress.start("Storing", None);
    // What the tar crate finds wrong, said of the entry it is in or after
    // (the stream has said what it finds wrong itself: see TarStream).
    let after = |e: std::io::Error, last: &[u8]| match last {
        [] => Error::refused(format!(
            "standard input is not a valid tar stream ({e}); nothing was stored"
        )),
        _ => Error::refused(format!(
            "the tar stream on standard input is malformed after tar entry '{}' ({e}); nothing was stored",
            show(last)
        )),
    };
    let malformed = |e: std::io::Error, raw: &[u8]| {
        Error::refused(format!(
            "tar entry '{}' is malformed ({e}); nothing was stored",
            show(raw)
        ))
    };
    let mut last = Vec::new();
    // Small files are read here and compressed and staged on the pool,
    // with at most IN_FLIGHT bytes waiting; the first failure stops the read.
    let pool = StagePool::default();
    let read = rayon::in_place_scope(|scope| -> Result<()> {
        for entry in archive.entries().map_err(|e| after(e, &last))? {
            let mut entry = entry.map_err(|e| after(e, &last))?;
            let sparse = sparse_info(&mut entry).map_err(|e| malformed(e, &entry.path_bytes()))?;
            let raw = match sparse.as_ref().and_then(|s| s.name.clone()) {
                Some(name) => name,
                None => entry.path_bytes().into_owned(),
            };
            last.clone_from(&raw);
            let path = normalize(&raw)?;
            let etype = entry.header().entry_type();
            let mode = entry.header().mode();
            use tar::EntryType as T;
            if matches!(
                etype,
                T::XGlobalHeader | T::XHeader | T::GNULongName | T::GNULongLink
            ) {
                continue;
            }
            seen += 1;
            if path.is_empty() {
                if etype.is_dir() {
                    continue;
                }
                return Err(Error::refused(format!(
                    "tar entry '{}' has no name; nothing was stored",
                    show(&raw)
                )));
            }
            let node = match etype {
                T::Directory => Node::Dir(BTreeMap::new()),
                T::Regular | T::Continuous | T::GNUSparse => {
                    // The size of the file, not of its data in the stream:
                    // pax `size` records and sparse maps are applied.
                    let stored = entry.size();
                    let size = match &sparse {
                        None => stored,
                        Some(info) => info.real_size.ok_or_else(|| {
                            Error::refused(format!(
                                "tar entry '{}' is a sparse file without its real size (a GNU.sparse.realsize or GNU.sparse.size record); nothing was stored",
                                show(&raw)
                            ))
                        })?,
                    };
                    let mut expanded;
                    let mut entry: &mut dyn Read = match &sparse {
                        None => &mut entry,
                        Some(info) => {
                            let malformed = |e: &dyn std::fmt::Display| {
                                Error::refused(format!(
                                    "tar entry '{}' is a sparse file whose map is malformed ({e}); nothing was stored",
                                    show(&raw)
                                ))
                            };
                            expanded = match (info.version.as_str(), &info.map) {
                                // The map is at the start of the data.
                                ("1.0", _) => SparseReader::new(&mut entry, stored, size),
                                // The map is in pax records.
                                ("0.x", Ok(map)) => {
                                    SparseReader::with_map(&mut entry, map.clone(), stored, size)
                                }
                                ("0.x", Err(why)) => return Err(malformed(why)),
                                (version, _) => {
                                    return Err(Error::refused(format!(
                                        "tar entry '{}' is a sparse file in pax sparse format {version}, which rel does not read; write the stream without -S, or with GNU tar's --sparse-version=1.0; nothing was stored",
                                        show(&raw)
                                    )));
                                }
                            }
                            .map_err(|e| malformed(&e))?;
                            &mut expanded
                        }
                    };
                    let exec = mode.map_err(|e| malformed(e, &raw))? & 0o111 != 0;
                    let keep_rules = path == SLUGIGNORE.as_bytes() && size <= 1 << 20;
                    let id = match (store, &staging) {
                        (Some(store), Some(staging)) if size <= SMALL_FILE => {
                            // Read here, compressed and written on the pool.
                            let mut buf = Vec::with_capacity(size as usize);
                            (&mut entry)
                                .take(size)
                                .read_to_end(&mut buf)
                                .map_err(|e| malformed(e, &raw))?;
                            if buf.len() as u64 != size {
                                return Err(malformed(
                                    std::io::ErrorKind::UnexpectedEof.into(),
                                    &raw,
                                ));
                            }
                            let id = Kind::Blob.id_of(&buf);
                            if keep_rules {
                                slugignore = Some(buf.clone());
                            }
                            if !store.has_object_fresh(&id) && staging.claim(id) {
                                pool.stage(scope, store, staging, id, buf)?;
                            }
                            id
                        }
                        (Some(store), Some(staging)) => {
                            store.write_reader_staged(Kind::Blob, size, &mut entry, staging)?
                        }
                        _ => {
                            let mut rules = Vec::new();
                            let source: &mut dyn Read = if keep_rules {
                                entry
                                    .read_to_end(&mut rules)
                                    .map_err(|e| malformed(e, &raw))?;
                                &mut rules.as_slice()
                            } else {
                                &mut entry
                            };
                            let mut hasher = blake3::Hasher::new();
                            std::io::copy(source, &mut hasher).map_err(|e| malformed(e, &raw))?;
                            if keep_rules {
                                slugignore = Some(rules);
                            }
                            Id::from(hasher.finalize())
                        }
                    };
                    progress.add(1, size);
                    let kind = if exec {
                        EntryKind::Executable
                    } else {
                        EntryKind::File
                    };
                    Node::Stored { kind, id, size }
                }
                T::Symlink => {
                    let target = entry
                        .link_name_bytes()
                        .map(|t| t.into_owned())
                        .unwrap_or_default();
                    // Its target may be anything a system can create.
                    if target.is_empty() || target.contains(&0) {
                        return Err(Error::refused(format!(
                            "tar entry '{}' is a symlink without a target; nothing was stored",
                            show(&raw)
                        )));
                    }
                    let id = match (store, &staging) {
                        (Some(store), Some(staging)) => store.write_reader_staged(
                            Kind::Blob,
                            target.len() as u64,
                            &mut target.as_slice(),
                            staging,
                        )?,
                        _ => Kind::Blob.id_of(&target),
                    };
                    link_targets.insert(path.clone(), target.clone());
                    Node::Stored {
                        kind: EntryKind::Symlink,
                        id,
                        size: target.len() as u64,
                    }
                }
                T::Link => {
                    let target_raw = entry
                        .link_name_bytes()
                        .map(|t| t.into_owned())
                        .unwrap_or_default();
                    let target = normalize(&target_raw).ok().filter(|t| !t.is_empty());
                    let found = target.as_deref().and_then(|t| lookup(&root, t));
                    match found {
                        Some(Node::Stored { kind, id, size })
                            if matches!(kind, EntryKind::File | EntryKind::Executable) =>
                        {
                            Node::Stored {
                                kind: *kind,
                                id: *id,
                                size: *size,
                            }
                        }
                        // GNU tar writes a hard-linked symlink as a hard link:
                        // another symlink with the same target, which may
                        // lead elsewhere from where it stands.
                        Some(Node::Stored {
                            kind: EntryKind::Symlink,
                            id,
                            size,
                        }) if target.as_ref().and_then(|t| link_targets.get(t)).is_some() => {
                            let (id, size) = (*id, *size);
                            let link_to = target
                                .as_ref()
                                .and_then(|t| link_targets.get(t))
                                .cloned()
                                .unwrap_or_default();
                            link_targets.insert(path.clone(), link_to);
                            Node::Stored {
                                kind: EntryKind::Symlink,
                                id,
                                size,
                            }
                        }
                        _ => {
                            return Err(Error::refused(format!(
                                "tar entry '{}' is a hard link to '{}', which is not a file earlier in the stream; nothing was stored",
                                show(&raw),
                                show(&target_raw)
                            )));
                        }
                    }
                }
                other => {
                    let what = match other {
                        T::Char | T::Block => "a device file".to_string(),
                        T::Fifo => "a fifo".to_string(),
                        _ => format!("of tar entry type '{}'", other.as_byte().escape_ascii()),
                    };
                    return Err(Error::refused(format!(
                        "tar entry '{}' is {what}, which a slug cannot hold: leave it out of the stream (tar --exclude); nothing was stored",
                        show(&raw)
                    )));
                }
            };
            insert(&mut root, &path, node, &raw)?;
        }
        Ok(())
    });
    // The crate stops at the first zero block; the stream goes on to the end.
    let read = read.and_then(|()| stream.finish().map_err(Error::refused));
    // An error from reading the stream is said by the stream.
    if let Some(refusal) = stream.refusal() {
        return Err(Error::refused(refusal));
    }
    read?;
    pool.finish()?;
    progress.finish();
    if seen == 0 {
        return Err(Error::refused(
            "the tar stream on standard input has no entries; nothing was stored",
        ));
    }
    if let Some(rules) = slugignore {
        filter(&mut root, &rules)?;
    }
    let outside = outside_links(&root, &link_targets);
    let mut referenced = std::collections::HashSet::new();
    collect_ids(&root, &mut referenced);
    if let (Some(store), Some(staging)) = (store, staging) {
        staging.commit(store, |id| referenced.contains(id))?;
    }
    let mut stats = IngestStats::default();
    count(&root, &mut stats);
    let tree = Node::Dir(root);
    let (slug, _) = build(store, &tree, &[], &[])?;
    Ok(Ingested {
        slug,
        stats,
        outside,
    })
}

/// Bytes of small tar entries read but not yet staged, at most.
const IN_FLIGHT: u64 = 16 << 20;

/// Small tar entries being compressed and staged on rayon's pool while the
/// stream is read on: a byte budget that blocks the reader, and the first
/// error, which stops it.
#[derive(Default)]
struct StagePool {
    in_flight: Mutex<u64>,
    room: std::sync::Condvar,
    failed: Mutex<Option<Error>>,
    any_failed: AtomicBool,
}

impl StagePool {
    fn stage<'s>(
        &'s self,
        scope: &rayon::Scope<'s>,
        store: &'s Store,
        staging: &'s Staging,
        id: Id,
        bytes: Vec<u8>,
    ) -> Result<()> {
        if self.any_failed.load(Ordering::Relaxed) {
            return self.take_error();
        }
        let size = bytes.len() as u64;
        {
            let mut used = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            while *used > 0 && *used + size > IN_FLIGHT {
                used = self.room.wait(used).unwrap_or_else(|e| e.into_inner());
            }
            *used += size;
        }
        scope.spawn(move |_| {
            if let Err(e) = store.write_claimed(staging, Kind::Blob, &id, &bytes) {
                self.failed
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get_or_insert(e);
                self.any_failed.store(true, Ordering::Relaxed);
            }
            drop(bytes);
            *self.in_flight.lock().unwrap_or_else(|e| e.into_inner()) -= size;
            self.room.notify_one();
        });
        Ok(())
    }

    fn take_error(&self) -> Result<()> {
        match self.failed.lock().unwrap_or_else(|e| e.into_inner()).take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn finish(self) -> Result<()> {
        self.take_error()
    }
}

/// `./a//b/` → `a/b`; refuses absolute paths, `..`, and names longer than
/// a system takes.
fn normalize(raw: &[u8]) -> Result<Vec<u8>> {
    if raw.len() > MAX_PATH {
        return Err(Error::refused(format!(
            "tar entry '{}' has a path of {} bytes, longer than a path can be ({MAX_PATH} bytes); nothing was stored",
            show(raw),
            raw.len()
        )));
    }
    if let Some(long) = raw.split(|&b| b == b'/').find(|c| c.len() > MAX_NAME) {
        return Err(Error::refused(format!(
            "tar entry '{}' has a name of {} bytes, longer than a file name can be ({MAX_NAME} bytes); nothing was stored",
            show(raw),
            long.len()
        )));
    }
    if raw.starts_with(b"/") {
        return Err(Error::refused(format!(
            "tar entry '{}' has an absolute path; make the archive relative (tar -C DIR -c .); nothing was stored",
            show(raw)
        )));
    }
    let mut parts: Vec<&[u8]> = Vec::new();
    for comp in raw.split(|&b| b == b'/') {
        match comp {
            b"" | b"." => {}
            b".." => {
                return Err(Error::refused(format!(
                    "tar entry '{}' contains '..'; nothing was stored",
                    show(raw)
                )));
            }
            c => parts.push(c),
        }
    }
    Ok(parts.join(&b'/'))
}

fn lookup<'a>(root: &'a BTreeMap<Vec<u8>, Node>, path: &[u8]) -> Option<&'a Node> {
    let mut dir = root;
    let parts: Vec<&[u8]> = path.split(|&b| b == b'/').collect();
    for (i, part) in parts.iter().enumerate() {
        let node = dir.get(*part)?;
        if i + 1 == parts.len() {
            return Some(node);
        }
        match node {
            Node::Dir(children) => dir = children,
            _ => return None,
        }
    }
    None
}

fn insert(root: &mut BTreeMap<Vec<u8>, Node>, path: &[u8], node: Node, raw: &[u8]) -> Result<()> {
    let parts: Vec<&[u8]> = path.split(|&b| b == b'/').collect();
    let mut dir = root;
    for (i, part) in parts[..parts.len() - 1].iter().enumerate() {
        if NEVER_STORED.contains(part) {
            return Ok(());
        }
        let child = dir
            .entry(part.to_vec())
            .or_insert_with(|| Node::Dir(BTreeMap::new()));
        match child {
            Node::Dir(children) => dir = children,
            _ => {
                return Err(Error::refused(format!(
                    "tar entry '{}' goes through '{}', which is not a directory; nothing was stored",
                    show(raw),
                    show(&parts[..=i].join(&b'/'))
                )));
            }
        }
    }
    let name = parts[parts.len() - 1];
    if NEVER_STORED.contains(&name) {
        return Ok(());
    }
    match (dir.get(name), &node) {
        // A directory entry for a directory already seen changes nothing.
        (Some(Node::Dir(_)), Node::Dir(_)) => {}
        (Some(Node::Dir(_)), _) => {
            return Err(Error::refused(format!(
                "tar entry '{}' replaces a directory; nothing was stored",
                show(raw)
            )));
        }
        _ => {
            dir.insert(name.to_vec(), node);
        }
    }
    Ok(())
}

fn filter(root: &mut BTreeMap<Vec<u8>, Node>, rules: &[u8]) -> Result<()> {
    let mut builder = GitignoreBuilder::new("");
    for line in String::from_utf8_lossy(rules).lines() {
        builder.add_line(None, line).map_err(|e| {
            Error::refused(format!(
                "{SLUGIGNORE} in the tar stream is not valid gitignore syntax: {e}"
            ))
        })?;
    }
    let ignore = builder.build().map_err(|e| {
        Error::refused(format!(
            "{SLUGIGNORE} in the tar stream is not valid gitignore syntax: {e}"
        ))
    })?;
    fn walk(dir: &mut BTreeMap<Vec<u8>, Node>, rel: &[u8], ignore: &Gitignore) {
        dir.retain(|name, node| {
            let path = if rel.is_empty() {
                name.clone()
            } else {
                [rel, b"/", name].concat()
            };
            let is_dir = matches!(node, Node::Dir(_));
            if ignore
                .matched(Path::new(OsStr::from_bytes(&path)), is_dir)
                .is_ignore()
            {
                return false;
            }
            if let Node::Dir(children) = node {
                walk(children, &path, ignore);
            }
            true
        });
    }
    walk(root, b"", &ignore);
    Ok(())
}

fn collect_ids(dir: &BTreeMap<Vec<u8>, Node>, out: &mut std::collections::HashSet<Id>) {
    for node in dir.values() {
        match node {
            Node::Stored { id, .. } => {
                out.insert(*id);
            }
            Node::Dir(children) => collect_ids(children, out),
            _ => {}
        }
    }
}

/// The symlinks that leave the slug: on their own ([`link_stays_inside`]),
/// or when followed through the other links of the tree: with
/// `p/q/c -> ..`, the link `a -> p/q/c/../../..` climbs above the root
/// although each stays inside by itself. A walk that meets a missing
/// entry, or a file where a directory is needed, stops: the system would
/// stop there too. `tar_links` gives the targets of tar entries, which are
/// stored already.
fn outside_links(
    root: &BTreeMap<Vec<u8>, Node>,
    tar_links: &HashMap<Vec<u8>, Vec<u8>>,
) -> OutsideLinks {
    let mut links = Vec::new();
    collect_links(root, &mut Vec::new(), tar_links, &mut links);
    let mut outside = OutsideLinks::default();
    for (at, target) in links {
        let path = at.join(&b'/');
        let leaves = !link_stays_inside(&path, &target) || {
            let mut dir = at;
            dir.pop();
            // The system gives up after 40 links (ELOOP), so a walk that
            // needs more resolves to nothing, wherever it would go.
            let mut budget = 64u32;
            follow(root, tar_links, &mut dir, &target, false, &mut budget).is_err()
        };
        if leaves {
            outside.count += 1;
            outside.first.get_or_insert((path, target));
        }
    }
    outside
}

struct LeavesSlug;

enum Followed {
    Arrived,
    /// Missing, or not a directory: the path resolves to nothing.
    Stuck,
}

fn link_target_of<'a>(
    node: &'a Node,
    path: &[Vec<u8>],
    tar_links: &'a HashMap<Vec<u8>, Vec<u8>>,
) -> Option<&'a [u8]> {
    match node {
        Node::Link { target } => Some(target),
        Node::Stored {
            kind: EntryKind::Symlink,
            ..
        } => tar_links.get(&path.join(&b'/')).map(Vec::as_slice),
        _ => None,
    }
}

fn collect_links(
    dir: &BTreeMap<Vec<u8>, Node>,
    at: &mut Vec<Vec<u8>>,
    tar_links: &HashMap<Vec<u8>, Vec<u8>>,
    out: &mut Vec<(Vec<Vec<u8>>, Vec<u8>)>,
) {
    for (name, node) in dir {
        at.push(name.clone());
        if let Node::Dir(children) = node {
            collect_links(children, at, tar_links, out);
        } else if let Some(t) = link_target_of(node, at, tar_links) {
            out.push((at.clone(), t.to_vec()));
        }
        at.pop();
    }
}

fn node_at<'a>(root: &'a BTreeMap<Vec<u8>, Node>, path: &[Vec<u8>]) -> Option<&'a Node> {
    let (last, parents) = path.split_last()?;
    let mut dir = root;
    for p in parents {
        match dir.get(p)? {
            Node::Dir(children) => dir = children,
            _ => return None,
        }
    }
    dir.get(last)
}

/// Follows `target` from the directory `cur` (components from the root),
/// leaving `cur` where it leads. A link at the last component is followed
/// only with `follow_last`: `python -> python3` points inside the slug even
/// when `python3` points outside.
fn follow(
    root: &BTreeMap<Vec<u8>, Node>,
    tar_links: &HashMap<Vec<u8>, Vec<u8>>,
    cur: &mut Vec<Vec<u8>>,
    target: &[u8],
    follow_last: bool,
    budget: &mut u32,
) -> std::result::Result<Followed, LeavesSlug> {
    if target.starts_with(b"/") {
        return Err(LeavesSlug);
    }
    let comps: Vec<&[u8]> = target
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .collect();
    for (i, comp) in comps.iter().enumerate() {
        if *comp == b".." {
            if cur.pop().is_none() {
                return Err(LeavesSlug);
            }
            continue;
        }
        cur.push(comp.to_vec());
        let Some(node) = node_at(root, cur) else {
            return Ok(Followed::Stuck);
        };
        if matches!(node, Node::Dir(_)) {
            continue;
        }
        match link_target_of(node, cur, tar_links) {
            Some(_) if i + 1 == comps.len() && !follow_last => {}
            Some(next) => {
                if *budget == 0 {
                    return Ok(Followed::Stuck);
                }
                *budget -= 1;
                let next = next.to_vec();
                cur.pop();
                if let Followed::Stuck = follow(root, tar_links, cur, &next, true, budget)? {
                    return Ok(Followed::Stuck);
                }
            }
            // A file: the end of the path, or a dead end.
            None if i + 1 == comps.len() => {}
            None => return Ok(Followed::Stuck),
        }
    }
    Ok(Followed::Arrived)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_judged_lexically() {
        assert!(link_stays_inside(b"a/b", b"../c"));
        assert!(!link_stays_inside(b"a/b", b"../../c"));
        assert!(!link_stays_inside(b"a", b"/etc/passwd"));
        assert!(link_stays_inside(b"a", b"./b/../c"));
        assert!(!link_stays_inside(b"a", b".."));
    }

    #[test]
    fn normalize_strips_dots_and_refuses_escapes() {
        assert_eq!(normalize(b"./a//b/").unwrap(), b"a/b");
        assert!(normalize(b"/etc").is_err());
        assert!(normalize(b"a/../../b").is_err());
    }
}
