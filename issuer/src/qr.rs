//! QR codes for credential offers, as PNG (for a file, a letter, the CLI) and SVG (inline in
//! a server-rendered console page, sharp at any size).
//!
//! Error correction M (about 15% of the code can be lost): a phone reads a code off a
//! screen with glare or moiré; H would make a by-value offer too dense to read at all.
//! The quiet zone (four modules) is kept: cameras need it to find the code.

use std::io::Cursor;

use image::{ImageFormat, Luma};
use qrcode::{EcLevel, QrCode};

use crate::error::{IssuerError, Result};

/// Pixels per module in the PNG: a by-reference offer (version 6–8) comes out at about
/// 400 pixels square, comfortably above what a phone needs.
const PNG_MODULE_PIXELS: u32 = 8;
/// The SVG's nominal size; it scales, so this only sets the default.
const SVG_MIN_SIZE: u32 = 256;

fn code(data: &str) -> Result<QrCode> {
    QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|e| IssuerError::BadRequest(format!("the offer is too long for a QR code: {e}")))
}

pub fn png(data: &str) -> Result<Vec<u8>> {
    let image = code(data)?
        .render::<Luma<u8>>()
        .module_dimensions(PNG_MODULE_PIXELS, PNG_MODULE_PIXELS)
        .build();
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .map_err(|e| IssuerError::Store(format!("PNG encoding failed: {e}")))?;
    Ok(bytes)
}

pub fn svg(data: &str) -> Result<String> {
    Ok(code(data)?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(SVG_MIN_SIZE, SVG_MIN_SIZE)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example.nhs.uk%2Foffers%2FAbCdEfGhIjKlMnOpQrStUv";

    #[test]
    fn the_png_is_a_png_with_a_quiet_zone() {
        let bytes = png(OFFER).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let image = image::load_from_memory(&bytes).unwrap().to_luma8();
        assert_eq!(image.width(), image.height());
        assert!(image.width() >= 300, "{}", image.width());
        // The corner (inside the quiet zone) is white.
        assert_eq!(image.get_pixel(1, 1).0, [255]);
    }

    #[test]
    fn the_svg_is_an_svg() {
        let text = svg(OFFER).unwrap();
        assert!(text.contains("<svg"), "{}", &text[..80]);
        assert!(text.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn data_beyond_a_qr_codes_capacity_is_refused_clearly() {
        let error = png(&"x".repeat(5000)).unwrap_err();
        assert!(error.to_string().contains("too long"));
    }
}
