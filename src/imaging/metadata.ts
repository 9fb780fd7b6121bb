// Removes private metadata (EXIF with GPS position and camera serials, XMP, IPTC, comments,
// text chunks) from JPEG and PNG files without touching the coded pixels, so images kept byte
// for byte (input.ts pass-through) can go to base-model providers and profile storage.
// Pure: Buffer in, Buffer out. Anything that does not parse cleanly comes back unchanged; the
// decoder is the one that reports corrupt files.

/** JPEG APP2 identifier of the Multi-Picture Format index (points at images after EOI). */
const MPF_ID = Buffer.from('MPF\0', 'latin1');

/** PNG chunks that carry metadata rather than image or colour data. */
const PNG_DROPPED_CHUNKS = new Set(['eXIf', 'tEXt', 'iTXt', 'zTXt', 'tIME']);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * JPEG segments that only carry metadata: APP1 (Exif, XMP and extended XMP), APP13
 * (Photoshop/IPTC), COM, and the APP2 MPF index (its secondary images, which carry their own
 * EXIF, are after EOI and dropped too). APP0 (JFIF), APP2 ICC_PROFILE (colour), APP14 (Adobe
 * transform, needed to decode CMYK/YCCK) and all coding segments are kept.
 */
function isJpegMetadataSegment(marker: number, payload: Buffer): boolean {
  if (marker === 0xe1 || marker === 0xed || marker === 0xfe) return true;
  return marker === 0xe2 && payload.length >= MPF_ID.length && payload.subarray(0, MPF_ID.length).equals(MPF_ID);
}

/**
 * Returns the JPEG without its metadata segments and without anything after EOI (trailers such
 * as MPF secondary images or embedded videos). The entropy-coded data and every table are
 * copied verbatim, so the decoded pixels are identical. Returns `buf` itself when it is not a
 * complete, well-formed JPEG (or when there is nothing to remove). Never throws.
 */
export function stripJpegMetadata(buf: Buffer): Buffer {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return buf;
  const keep: Buffer[] = [buf.subarray(0, 2)];
  let pos = 2;
  let dropped = false;
  for (;;) {
    // Markers may be preceded by any number of 0xFF fill bytes.
    if (pos >= buf.length || buf[pos] !== 0xff) return buf;
    while (pos < buf.length && buf[pos] === 0xff) pos++;
    if (pos >= buf.length) return buf;
    const marker = buf[pos]!;
    const markerStart = pos - 1;
    pos++;
    if (marker === 0xd9) {
      // EOI: the image ends here; anything after it is not part of the primary image.
      keep.push(buf.subarray(markerStart, pos));
      if (pos < buf.length) dropped = true;
      break;
    }
    // Standalone markers (no length): TEM, RSTn, and 0x00 which is invalid outside scans.
    if (marker === 0x00 || marker === 0xd8) return buf;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      keep.push(buf.subarray(markerStart, pos));
      continue;
    }
    if (pos + 2 > buf.length) return buf;
    const length = buf.readUInt16BE(pos);
    const end = pos + length;
    if (length < 2 || end > buf.length) return buf;
    const payload = buf.subarray(pos + 2, end);
    if (isJpegMetadataSegment(marker, payload)) {
      dropped = true;
    } else {
      keep.push(buf.subarray(markerStart, end));
    }
    pos = end;
    if (marker === 0xda) {
      // SOS: entropy-coded data follows, up to the next marker that is neither a stuffed
      // 0xFF00 nor a restart marker (those belong to the scan and are copied with it).
      const scanStart = pos;
      const scanEnd = endOfEntropyData(buf, pos);
      if (scanEnd < 0) return buf; // truncated inside the scan
      keep.push(buf.subarray(scanStart, scanEnd));
      pos = scanEnd;
    }
  }
  return dropped ? Buffer.concat(keep) : buf;
}

/** Offset of the 0xFF that starts the first marker after a scan's entropy-coded data, or -1. */
function endOfEntropyData(buf: Buffer, from: number): number {
  let pos = from;
  for (;;) {
    const ff = buf.indexOf(0xff, pos);
    if (ff < 0) return -1;
    let next = ff + 1;
    while (next < buf.length && buf[next] === 0xff) next++; // fill bytes
    if (next >= buf.length) return -1;
    const b = buf[next]!;
    if (b === 0x00 || (b >= 0xd0 && b <= 0xd7)) {
      pos = next + 1;
      continue;
    }
    return next - 1;
  }
}

/**
 * Returns the PNG without eXIf, tEXt, iTXt, zTXt and tIME chunks and without anything after
 * IEND. Every other chunk (IHDR, PLTE, tRNS, IDAT, iCCP, sRGB, gAMA, cHRM, pHYs, …) is copied
 * verbatim with its CRC. Returns `buf` itself when it is not a complete, well-formed chunk
 * sequence starting with IHDR and ending with IEND (or when there is nothing to remove).
 * CRCs are not checked here: the decoder does that. Never throws.
 */
export function stripPngMetadata(buf: Buffer): Buffer {
  if (buf.length < PNG_SIGNATURE.length || !buf.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) return buf;
  const keep: Buffer[] = [buf.subarray(0, PNG_SIGNATURE.length)];
  let pos = PNG_SIGNATURE.length;
  let dropped = false;
  let first = true;
  for (;;) {
    if (pos + 12 > buf.length) return buf; // no IEND
    const length = buf.readUInt32BE(pos);
    const end = pos + 12 + length;
    if (length > 0x7fffffff || end > buf.length) return buf;
    const type = buf.toString('latin1', pos + 4, pos + 8);
    if (!/^[A-Za-z]{4}$/.test(type) || (first && type !== 'IHDR')) return buf;
    first = false;
    if (PNG_DROPPED_CHUNKS.has(type)) {
      dropped = true;
    } else {
      keep.push(buf.subarray(pos, end));
    }
    pos = end;
    if (type === 'IEND') {
      if (pos < buf.length) dropped = true;
      break;
    }
  }
  return dropped ? Buffer.concat(keep) : buf;
}
