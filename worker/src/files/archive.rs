//! `GET /api/v1/results/{id}/logdir/?format=zip|tgz[&exclude_captures=true]`: the whole
//! result directory as one archive, streamed file by file from R2 as it is written — never
//! held in memory. `zip` is stored (no compression: captures do not shrink, and the CRC-32s
//! were taken at upload); `tgz` is a POSIX tar through the runtime's own gzip.

use super::{bearer, bucket, number, param};
use crate::internal::{ArchiveList, ArchiveRequest, Located, ARCHIVE};
use crate::labs::Target;
use crate::store_call::{call, Refused};
use futures::stream::{self, Stream, StreamExt};
use js_sys::{Function, Reflect};
use labrelay_api::error::ApiError;
use labrelay_api::query::parse_bool;
use wasm_bindgen::{JsCast, JsValue};
use worker::{ByteStream, Headers, Request, Response, ResponseBody};

pub async fn download(req: &Request, to: &Target, result: &str) -> Result<Response, Refused> {
    let format = param(req, "format").unwrap_or_default();
    let format = format.as_str();
    let result = number(result, "result")?;
    let exclude_captures = match param(req, "exclude_captures") {
        Some(v) if !v.is_empty() => parse_bool("exclude_captures", &v).map_err(ApiError::Query)?,
        _ => false,
    };
    if !matches!(format, "zip" | "tgz") {
        return Err(ApiError::invalid(format!("invalid format \"{format}\": zip or tgz")).into());
    }
    let list: ArchiveList = call(
        to,
        ARCHIVE,
        bearer(req).as_deref(),
        &ArchiveRequest {
            result,
            exclude_captures,
        },
    )
    .await?;
    let dir = result.to_string();
    let headers = Headers::new();
    let internal = |e: worker::Error| ApiError::Internal(e.to_string());
    let response = match format {
        "zip" => {
            let total: u64 = list
                .files
                .iter()
                .map(|f| f.size + 100 + f.name.len() as u64 * 2)
                .sum();
            if total > u64::from(u32::MAX) {
                return Err(ApiError::invalid("the result is over 4 GiB: use format=tgz").into());
            }
            headers
                .set("content-type", "application/zip")
                .map_err(internal)?;
            Response::from_stream(zip_stream(to, dir.clone(), list.files)?).map_err(internal)?
        }
        _ => {
            headers
                .set("content-type", "application/gzip")
                .map_err(internal)?;
            let tar = to_js_stream(tar_stream(to, dir.clone(), list.files)?);
            Response::from_body(ResponseBody::Stream(gzip(&tar)?)).map_err(internal)?
        }
    };
    headers
        .set(
            "content-disposition",
            &format!("attachment; filename=\"result-{dir}.{format}\""),
        )
        .map_err(internal)?;
    // As every other download: a browser never guesses another type for the archive.
    headers
        .set("x-content-type-options", "nosniff")
        .map_err(internal)?;
    Ok(response.with_headers(headers))
}

type Chunks = std::pin::Pin<Box<dyn Stream<Item = worker::Result<Vec<u8>>>>>;

/// Each file's bytes from R2, in turn, with `before(file)` ahead of them and `after(file)`
/// behind them, then `end`.
fn files_stream(
    to: &Target,
    files: Vec<Located>,
    before: impl Fn(&Located) -> Vec<u8> + 'static,
    after: impl Fn(&Located) -> Vec<u8> + 'static,
    end: Vec<u8>,
) -> Result<Chunks, ApiError> {
    let bucket = bucket(to)?;
    let per_file = stream::iter(files).then(move |f| {
        let bucket = bucket.clone();
        let head = before(&f);
        let tail = after(&f);
        async move {
            let body = object_stream(&bucket, &f).await;
            let parts: Vec<Chunks> = vec![
                Box::pin(stream::once(async move { Ok(head) })),
                match body {
                    Ok(s) => Box::pin(s),
                    Err(e) => Box::pin(stream::once(async move { Err(e) })),
                },
                Box::pin(stream::once(async move { Ok(tail) })),
            ];
            stream::iter(parts).flatten()
        }
    });
    Ok(Box::pin(
        per_file
            .flatten()
            .chain(stream::once(async move { Ok(end) }))
            .filter(|c| futures::future::ready(!matches!(c, Ok(v) if v.is_empty()))),
    ))
}

async fn object_stream(bucket: &worker::Bucket, f: &Located) -> worker::Result<ByteStream> {
    let obj =
        bucket.get(f.key.clone()).execute().await?.ok_or_else(|| {
            worker::Error::RustError(format!("{} is missing from storage", f.name))
        })?;
    obj.body()
        .ok_or_else(|| worker::Error::RustError(format!("{} has no body", f.name)))?
        .stream()
}

fn tar_stream(to: &Target, dir: String, files: Vec<Located>) -> Result<Chunks, ApiError> {
    files_stream(
        to,
        files,
        move |f| {
            tar::header(
                &format!("{dir}/{}", f.name),
                f.size,
                f.modified.micros() / 1_000_000,
            )
        },
        |f| vec![0u8; tar::padding(f.size)],
        vec![0u8; 1024],
    )
}

fn zip_stream(to: &Target, dir: String, files: Vec<Located>) -> Result<Chunks, ApiError> {
    let entries: Vec<zip::Entry> = files
        .iter()
        .map(|f| zip::Entry {
            name: format!("{dir}/{}", f.name),
            size: f.size,
            crc32: f.crc32,
            modified_secs: f.modified.micros() / 1_000_000,
        })
        .collect();
    let layout = zip::Layout::new(&entries);
    let headers = layout.local_headers.clone();
    let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
    files_stream(
        to,
        files,
        move |f| {
            names
                .iter()
                .position(|n| *n == f.name)
                .map(|i| headers[i].clone())
                .unwrap_or_default()
        },
        |_| Vec::new(),
        layout.central_directory,
    )
}

fn to_js_stream(chunks: Chunks) -> web_sys::ReadableStream {
    let js = chunks.map(|c| match c {
        Ok(bytes) => Ok(JsValue::from(js_sys::Uint8Array::from(&bytes[..]))),
        Err(e) => Err(JsValue::from_str(&e.to_string())),
    });
    wasm_streams::ReadableStream::from_stream(js)
        .into_raw()
        .unchecked_into()
}

/// `stream.pipeThrough(new CompressionStream("gzip"))`.
fn gzip(stream: &web_sys::ReadableStream) -> Result<web_sys::ReadableStream, ApiError> {
    let js = |e: JsValue| ApiError::Internal(format!("gzip: {e:?}"));
    let ctor: Function = Reflect::get(&js_sys::global(), &"CompressionStream".into())
        .and_then(|f| f.dyn_into())
        .map_err(js)?;
    let gz = Reflect::construct(&ctor, &js_sys::Array::of1(&"gzip".into())).map_err(js)?;
    let pipe: Function = Reflect::get(stream, &"pipeThrough".into())
        .and_then(|f| f.dyn_into())
        .map_err(js)?;
    pipe.call1(stream, &gz)
        .map(|s| s.unchecked_into())
        .map_err(js)
}

/// POSIX (ustar) headers; a name too long for the header goes in a PAX record ahead of it.
mod tar {
    fn octal(field: &mut [u8], value: u64) {
        let width = field.len() - 1;
        let s = format!("{value:0width$o}");
        let n = s.len().min(width);
        field[..n].copy_from_slice(&s.as_bytes()[..n]);
    }

    fn block(name: &str, size: u64, mtime: i64, kind: u8) -> [u8; 512] {
        let mut h = [0u8; 512];
        let n = name.as_bytes();
        h[..n.len().min(100)].copy_from_slice(&n[..n.len().min(100)]);
        octal(&mut h[100..108], 0o644);
        octal(&mut h[108..116], 0);
        octal(&mut h[116..124], 0);
        octal(&mut h[124..136], size);
        octal(&mut h[136..148], mtime.max(0) as u64);
        h[148..156].copy_from_slice(b"        ");
        h[156] = kind;
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        let sum: u64 = h.iter().map(|b| u64::from(*b)).sum();
        let s = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(s.as_bytes());
        h
    }

    pub fn padding(size: u64) -> usize {
        ((512 - size % 512) % 512) as usize
    }

    pub fn header(name: &str, size: u64, mtime: i64) -> Vec<u8> {
        let mut out = Vec::with_capacity(1536);
        if name.len() > 100 {
            // `len path=name\n`, where len counts itself.
            let body = format!(" path={name}\n");
            let mut len = body.len() + 1;
            while format!("{len}{body}").len() != len {
                len += 1;
            }
            let record = format!("{len}{body}");
            out.extend_from_slice(&block("PaxHeader", record.len() as u64, mtime, b'x'));
            out.extend_from_slice(record.as_bytes());
            out.extend(std::iter::repeat_n(0u8, padding(record.len() as u64)));
        }
        out.extend_from_slice(&block(name, size, mtime, b'0'));
        out
    }
}

/// A stored (uncompressed) zip laid out before the first byte is sent: the sizes and
/// CRC-32s are known, so each local header is complete and the central directory follows.
mod zip {
    pub struct Entry {
        pub name: String,
        pub size: u64,
        pub crc32: u32,
        pub modified_secs: i64,
    }

    pub struct Layout {
        pub local_headers: Vec<Vec<u8>>,
        pub central_directory: Vec<u8>,
    }

    /// MS-DOS date and time (local fields, 2-second steps; taken as UTC).
    fn dos_time(secs: i64) -> (u16, u16) {
        let days = secs.div_euclid(86_400);
        let t = secs.rem_euclid(86_400);
        let (y, m, d) = labrelay_api::cdrouter::civil_from_days(days);
        let y = (y - 1980).clamp(0, 127);
        let time = ((t / 3600) << 11) | (((t / 60) % 60) << 5) | ((t % 60) / 2);
        let date = (y << 9) | (m << 5) | d;
        (time as u16, date as u16)
    }

    impl Layout {
        pub fn new(entries: &[Entry]) -> Layout {
            let mut local_headers = Vec::new();
            let mut central = Vec::new();
            let mut offset: u64 = 0;
            for e in entries {
                let (time, date) = dos_time(e.modified_secs);
                let name = e.name.as_bytes();
                let size = u32::try_from(e.size).unwrap_or(u32::MAX);
                // What the local header and the central directory's record both say, in the
                // same order: version needed, flags (UTF-8 names), method (stored), time,
                // date, CRC-32, compressed and uncompressed size, name length.
                let shared = [
                    &20u16.to_le_bytes()[..],
                    &0x0800u16.to_le_bytes(),
                    &0u16.to_le_bytes(),
                    &time.to_le_bytes(),
                    &date.to_le_bytes(),
                    &e.crc32.to_le_bytes(),
                    &size.to_le_bytes(),
                    &size.to_le_bytes(),
                    &(name.len() as u16).to_le_bytes(),
                ]
                .concat();
                let h = [
                    &0x0403_4b50u32.to_le_bytes()[..],
                    &shared,
                    &0u16.to_le_bytes(), // extra
                    name,
                ]
                .concat();
                central.extend_from_slice(
                    &[
                        &0x0201_4b50u32.to_le_bytes()[..],
                        &20u16.to_le_bytes(), // made by
                        &shared,
                        &[0u8; 8], // extra, comment, disk, internal attrs
                        &(0o100644u32 << 16).to_le_bytes(), // external attrs
                        &u32::try_from(offset).unwrap_or(u32::MAX).to_le_bytes(),
                        name,
                    ]
                    .concat(),
                );
                offset += h.len() as u64 + e.size;
                local_headers.push(h);
            }
            let count = entries.len() as u16;
            let mut end = Vec::new();
            end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
            end.extend_from_slice(&[0u8; 4]); // disk numbers
            end.extend_from_slice(&count.to_le_bytes());
            end.extend_from_slice(&count.to_le_bytes());
            end.extend_from_slice(&(central.len() as u32).to_le_bytes());
            end.extend_from_slice(&u32::try_from(offset).unwrap_or(u32::MAX).to_le_bytes());
            end.extend_from_slice(&0u16.to_le_bytes());
            central.extend_from_slice(&end);
            Layout {
                local_headers,
                central_directory: central,
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn hex(bytes: &[u8]) -> String {
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        }

        #[test]
        fn the_headers_of_one_file_byte_for_byte() {
            // 2016-04-14T15:15:59Z, a 3-byte "a.txt".
            let layout = Layout::new(&[Entry {
                name: "a.txt".into(),
                size: 3,
                crc32: 0x3524_41c2,
                modified_secs: 1_460_646_959,
            }]);
            assert_eq!(
                hex(&layout.local_headers[0]),
                "504b0304140000080000fd798e48c2412435030000000300000005000000612e747874"
            );
            assert_eq!(
                hex(&layout.central_directory),
                "504b01021400140000080000fd798e48c24124350300000003000000050000000000000000000000\
                 a48100000000612e747874504b0506000000000100010033000000260000000000"
            );
        }
    }
}
