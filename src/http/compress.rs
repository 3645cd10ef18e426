//! Brotli for answers built whole, with a window fitted to the body.
//!
//! actix-web's `Compress` encodes brotli with a 4 MiB window (`lgwin` 22) whatever the body:
//! each response allocates and clears several megabytes of encoder state, which on the
//! 100,000-meeting load test made `br` answers a fifth as many as `gzip` (page faults and
//! `memset` were most of the CPU time, brotli's own work 6 %) and held 350 MB more memory with
//! 32 clients (docs/benchmarks.md, issue 18). Our answers are whole strings of ~1-200 KB, so this
//! middleware, inside `Compress`, encodes them itself with a window just large enough for the
//! body (a window larger than the input finds no more matches); `Compress` passes on a response
//! that already has a `Content-Encoding`, and still encodes everything else (gzip, and any
//! streamed body). It negotiates exactly as `Compress` does, with the encodings it supports.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, AcceptEncoding, Encoding, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::HttpMessage;

/// What `Compress` offers with this crate's features (`compress-brotli`, `compress-gzip`): the
/// list it negotiates from.
fn supported() -> [Encoding; 4] {
    [
        Encoding::identity(),
        Encoding::brotli(),
        Encoding::gzip(),
        Encoding::deflate(),
    ]
}

/// Brotli quality: 4 compresses our JSON a few per cent smaller than `Compress`'s 3 for about
/// the same time.
const QUALITY: i32 = 4;

/// Bodies under this are not worth encoding (headers would outweigh the saving).
const MIN_BYTES: usize = 256;

/// Bodies over this are encoded on the blocking pool rather than on the worker that serves other
/// requests (a whole-directory export can be megabytes).
const INLINE_BYTES: usize = 256 * 1024;

/// The middleware (see the module's comment).
pub async fn fitted_brotli(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let wanted = req
        .get_header::<AcceptEncoding>()
        .and_then(|accept| accept.negotiate(supported().iter()))
        == Some(Encoding::brotli());
    let response = next.call(req).await?.map_into_boxed_body();
    if !wanted || !encodable(&response) {
        return Ok(response);
    }
    let (req, res) = response.into_parts();
    let (mut res, body) = res.into_parts();
    let bytes = match body.try_into_bytes() {
        Ok(bytes) if bytes.len() >= MIN_BYTES => bytes,
        // Small, or streamed: as it was (`Compress` sees to a stream).
        Ok(bytes) => return Ok(ServiceResponse::new(req, res.set_body(BoxBody::new(bytes)))),
        Err(body) => return Ok(ServiceResponse::new(req, res.set_body(body))),
    };
    let encoded = if bytes.len() <= INLINE_BYTES {
        brotli(&bytes)
    } else {
        actix_web::web::block(move || brotli(&bytes)).await?
    };
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
    headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.remove(header::CONTENT_LENGTH);
    Ok(ServiceResponse::new(req, res.set_body(BoxBody::new(encoded))))
}

/// Whether `Compress` would encode this response: not already encoded, a status with a body it
/// encodes, and not an image (but SVG) or video; the same rules.
fn encodable(response: &ServiceResponse<BoxBody>) -> bool {
    let status = response.status();
    if response.headers().contains_key(header::CONTENT_ENCODING)
        || matches!(
            status,
            StatusCode::SWITCHING_PROTOCOLS | StatusCode::NO_CONTENT | StatusCode::PARTIAL_CONTENT
        )
        || status.is_redirection()
    {
        return false;
    }
    let kind = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_start().to_ascii_lowercase())
        .unwrap_or_default();
    if kind.starts_with("image/") {
        return kind.starts_with("image/svg+xml");
    }
    !kind.starts_with("video/")
}

/// `body` as brotli, with the smallest window (1 KiB to 4 MiB) that holds it whole.
fn brotli(body: &[u8]) -> Vec<u8> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: QUALITY,
        lgwin: window_bits(body.len()),
        size_hint: body.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(body.len() / 4 + 64);
    brotli::BrotliCompress(&mut &body[..], &mut out, &params).expect("encoding into memory cannot fail");
    out
}

/// log2 of the window for a body of `len` bytes: brotli allows 10 to 24; above 22 (4 MiB, what
/// `Compress` always uses) the larger window only costs memory for our answers.
fn window_bits(len: usize) -> i32 {
    let bits = usize::BITS - len.saturating_sub(1).leading_zeros();
    (bits as i32).clamp(10, 22)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_holds_the_body() {
        assert_eq!(window_bits(0), 10);
        assert_eq!(window_bits(1024), 10);
        assert_eq!(window_bits(1025), 11);
        assert_eq!(window_bits(100_000), 17);
        assert_eq!(window_bits(1 << 17), 17);
        assert_eq!(window_bits(usize::MAX), 22);
    }

    #[test]
    fn what_is_encoded_decodes_to_the_body() {
        for len in [300, 5_000, 100_000, 300_000, 5_000_000] {
            let body: Vec<u8> = (0..len)
                .map(|i| b"{\"meetings\":[{\"name\":\"Meeting\",\"day\":3},"[i % 40] ^ ((i / 977) as u8 % 3))
                .collect();
            let encoded = brotli(&body);
            assert!(encoded.len() < body.len(), "{len}");
            let mut decoded = Vec::new();
            brotli::BrotliDecompress(&mut &encoded[..], &mut decoded).unwrap();
            assert_eq!(decoded, body, "{len}");
        }
    }
}
