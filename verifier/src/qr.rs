//! QR codes of `openid4vp://` links, as PNG (a console page, a printout) and SVG (inline,
//! sharp at any size).
//!
//! Error correction M (about 15% may be lost): phones read these off screens, with glare;
//! H would make the code denser for no gain at this length. The four-module quiet zone is
//! kept: cameras need it to find the code.

use std::io::Cursor;

use image::{ImageFormat, Luma};
use qrcode::{EcLevel, QrCode};

/// Pixels per module: a request link (version 8–10) comes out around 450 pixels square.
const PNG_MODULE_PIXELS: u32 = 8;
const SVG_MIN_SIZE: u32 = 256;

fn code(data: &str) -> Result<QrCode, String> {
    QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|e| format!("the link is too long for a QR code: {e}"))
}

pub fn png(data: &str) -> Result<Vec<u8>, String> {
    let image = code(data)?
        .render::<Luma<u8>>()
        .module_dimensions(PNG_MODULE_PIXELS, PNG_MODULE_PIXELS)
        .build();
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .map_err(|e| format!("PNG encoding failed: {e}"))?;
    Ok(bytes)
}

pub fn svg(data: &str) -> Result<String, String> {
    Ok(code(data)?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(SVG_MIN_SIZE, SVG_MIN_SIZE)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "openid4vp://?client_id=decentralized_identifier%3Adid%3Aweb%3Averifier.example.nhs.uk&request_uri=https%3A%2F%2Fverifier.example.nhs.uk%2Frequest-objects%2FAbCdEfGhIjKlMnOpQrStUv";

    #[test]
    fn the_png_decodes_back_to_the_link() {
        let bytes = png(LINK).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let image = image::load_from_memory(&bytes).unwrap().to_luma8();
        let mut prepared = rqrr::PreparedImage::prepare(image);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, content) = grids[0].decode().unwrap();
        assert_eq!(content, LINK);
    }

    #[test]
    fn the_svg_is_an_svg() {
        let text = svg(LINK).unwrap();
        assert!(text.contains("<svg"));
        assert!(text.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn a_link_beyond_capacity_is_refused_clearly() {
        assert!(png(&"x".repeat(5000)).unwrap_err().contains("too long"));
    }
}
