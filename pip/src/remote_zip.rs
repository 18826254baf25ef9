//! One file out of a remote wheel, by HTTP range requests: the resolver needs only METADATA of
//! each candidate, and on an index without PEP 658 metadata this avoids downloading candidates
//! that are never installed.
//!
//! The zip crate reads the archive through [`RemoteFile`], a `Read + Seek` view of the remote
//! file that fetches 64 KiB-aligned blocks on demand (the first request is the last 64 KiB,
//! where the central directory usually is). It runs on a blocking thread and waits on the
//! async transport through the runtime handle. At most 8 MiB are fetched this way; anything
//! unusual (no range support, a short or inconsistent answer) falls back to downloading the
//! wheel. What is read here is checked again against the downloaded wheel before installing.

use std::{
    io::{self, Read, Seek, SeekFrom},
    time::Duration,
};

use bytes::Bytes;
use url::Url;

use super::{
    http::{ByteRange, IndexTransport, Limits, Ranged},
    wheel::metadata_entry,
};

/// The block size of range requests.
const BLOCK: u64 = 64 * 1024;
/// The most fetched for one file's metadata.
const MAX_FETCHED: u64 = 8 * 1024 * 1024;

/// What a ranged read gave.
pub(crate) enum RemoteRead {
    /// The file's bytes (METADATA).
    File(Vec<u8>),
    /// The server sent the whole wheel instead.
    Whole(Bytes),
    /// Ranges did not work out; download the wheel.
    Unavailable,
}

/// A remote file seen through range requests.
struct RemoteFile<'a> {
    transport: &'a dyn IndexTransport,
    handle: &'a tokio::runtime::Handle,
    url: &'a Url,
    timeout: Duration,
    total: u64,
    position: u64,
    segments: Vec<(u64, Bytes)>,
    fetched: u64,
}

fn unavailable() -> io::Error {
    io::Error::other("range request failed")
}

impl RemoteFile<'_> {
    fn segment_at(&self, position: u64) -> Option<(u64, &Bytes)> {
        self.segments
            .iter()
            .find(|(start, body)| *start <= position && position < start + body.len() as u64)
            .map(|(start, body)| (*start, body))
    }

    fn fetch_block(&mut self, position: u64) -> io::Result<()> {
        let start = position / BLOCK * BLOCK;
        let end = (start + BLOCK).min(self.total) - 1;
        self.fetched += end - start + 1;
        if self.fetched > MAX_FETCHED {
            return Err(unavailable());
        }
        let answer = self
            .handle
            .block_on(self.transport.get_range(
                self.url,
                ByteRange::Span { start, end },
                Limits {
                    timeout: self.timeout,
                    max_bytes: BLOCK,
                },
            ))
            .map_err(|_| unavailable())?;
        match answer {
            Ranged::Part {
                start: got,
                total,
                body,
            } if got == start && total == self.total && !body.is_empty() => {
                self.segments.push((got, body));
                Ok(())
            }
            _ => Err(unavailable()),
        }
    }
}

impl Read for RemoteFile<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.position >= self.total || buf.is_empty() {
            return Ok(0);
        }
        if self.segment_at(self.position).is_none() {
            self.fetch_block(self.position)?;
        }
        let (start, body) = self.segment_at(self.position).ok_or_else(unavailable)?;
        let offset = usize::try_from(self.position - start).map_err(|_| unavailable())?;
        let n = buf.len().min(body.len() - offset);
        buf[..n].copy_from_slice(&body[offset..offset + n]);
        self.position += n as u64;
        Ok(n)
    }
}

impl Seek for RemoteFile<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.total.checked_add_signed(d),
            SeekFrom::Current(d) => self.position.checked_add_signed(d),
        };
        let target = target.ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        self.position = target;
        Ok(target)
    }
}

/// What the first read of a wheel's end gave: the whole file (a server without ranges), the
/// file to read on with range requests, or nothing usable.
enum Opened<'a> {
    Whole(Bytes),
    Remote(RemoteFile<'a>),
    Unavailable,
}

/// Reads the last block of the wheel at `url` (where the central directory is).
fn open<'a>(
    transport: &'a dyn IndexTransport,
    handle: &'a tokio::runtime::Handle,
    url: &'a Url,
    timeout: Duration,
    max_wheel_bytes: u64,
) -> Opened<'a> {
    let first = handle.block_on(transport.get_range(
        url,
        ByteRange::Suffix(BLOCK),
        Limits {
            timeout,
            max_bytes: max_wheel_bytes,
        },
    ));
    match first {
        Ok(Ranged::Whole(bytes)) => Opened::Whole(bytes),
        Ok(Ranged::Part { start, total, body })
            if start + body.len() as u64 == total && total <= max_wheel_bytes =>
        {
            Opened::Remote(RemoteFile {
                transport,
                handle,
                url,
                timeout,
                total,
                position: 0,
                segments: vec![(start, body)],
                fetched: 0,
            })
        }
        _ => Opened::Unavailable,
    }
}

/// Reads the single `*.dist-info/METADATA` of the wheel at `url` with range requests.
pub(crate) fn read_metadata(
    transport: &dyn IndexTransport,
    handle: &tokio::runtime::Handle,
    url: &Url,
    timeout: Duration,
    max_wheel_bytes: u64,
    max_metadata_bytes: u64,
) -> RemoteRead {
    let mut remote = match open(transport, handle, url, timeout, max_wheel_bytes) {
        Opened::Whole(bytes) => return RemoteRead::Whole(bytes),
        Opened::Remote(remote) => remote,
        Opened::Unavailable => return RemoteRead::Unavailable,
    };
    let Ok(mut archive) = zip::ZipArchive::new(&mut remote) else {
        return RemoteRead::Unavailable;
    };
    let Some(name) = metadata_entry(&archive) else {
        return RemoteRead::Unavailable;
    };
    let Ok(entry) = archive.by_name(&name) else {
        return RemoteRead::Unavailable;
    };
    let mut out = Vec::new();
    let read = entry.take(max_metadata_bytes).read_to_end(&mut out);
    if read.is_ok() {
        RemoteRead::File(out)
    } else {
        RemoteRead::Unavailable
    }
}

/// The total uncompressed size of the entries of the wheel at `url`, read from its central
/// directory with range requests (`None` when ranges do not work out).
pub(crate) fn unzipped_size(
    transport: &dyn IndexTransport,
    handle: &tokio::runtime::Handle,
    url: &Url,
    timeout: Duration,
    max_wheel_bytes: u64,
) -> Option<u64> {
    let mut remote = match open(transport, handle, url, timeout, max_wheel_bytes) {
        Opened::Whole(bytes) => return whole_unzipped_size(&bytes),
        Opened::Remote(remote) => remote,
        Opened::Unavailable => return None,
    };
    let archive = zip::ZipArchive::new(&mut remote).ok()?;
    archive
        .decompressed_size()
        .and_then(|n| u64::try_from(n).ok())
}

/// The total uncompressed size of the entries of a wheel at hand.
pub(crate) fn whole_unzipped_size(bytes: &[u8]) -> Option<u64> {
    let archive = zip::ZipArchive::new(io::Cursor::new(bytes)).ok()?;
    archive
        .decompressed_size()
        .and_then(|n| u64::try_from(n).ok())
}
