// Builds a minimal HEIC container (ftyp/meta/iloc/iprp with hvcC + ispe, mdat) around
// arbitrary payload bytes. There is no offline HEVC encoder and no HEIC file ships in
// node_modules, so the tests use real containers with a fake bitstream: enough for libheif
// to parse the header (size) and then fail cleanly at the decoding step.

function box(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}
function fullBox(type: string, version: number, flags: number, ...parts: Buffer[]): Buffer {
  const vf = Buffer.alloc(4);
  vf.writeUInt32BE(((version & 0xff) << 24) | (flags & 0xffffff));
  return box(type, vf, ...parts);
}
const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const str = (s: string) => Buffer.from(s, 'latin1');

/** A HEIC file whose single hvc1 item claims width x height and holds `payload` as its data. */
export function heicContainer(width: number, height: number, payload: Buffer, brands = ['heic', 'mif1', 'heic']): Buffer {
  const ftyp = box('ftyp', str(brands[0]), u32(0), ...brands.slice(1).map(str));
  const hvcC = box('hvcC', Buffer.from([
    1, // configurationVersion
    0x01, // profile_space 0, tier 0, profile_idc 1 (Main)
    0x60, 0, 0, 0, // compatibility flags
    0x90, 0, 0, 0, 0, 0, // constraint flags
    90, // level_idc
    0xf0, 0x00, // min_spatial_segmentation
    0xfc, // parallelismType
    0xfd, // chroma_format_idc 1 (4:2:0)
    0xf8, 0xf8, // bit depths 8
    0, 0, // avgFrameRate
    0x0f, // lengthSizeMinusOne = 3
    0, // numOfArrays
  ]));
  const ispe = fullBox('ispe', 0, 0, u32(width), u32(height));
  const ipco = box('ipco', hvcC, ispe);
  const ipma = fullBox('ipma', 0, 0, u32(1), u16(1), Buffer.from([2, 0x81, 0x02]));
  const iprp = box('iprp', ipco, ipma);
  const hdlr = fullBox('hdlr', 0, 0, u32(0), str('pict'), u32(0), u32(0), u32(0), Buffer.from([0]));
  const pitm = fullBox('pitm', 0, 0, u16(1));
  const infe = fullBox('infe', 2, 0, u16(1), u16(0), str('hvc1'), Buffer.from([0]));
  const iinf = fullBox('iinf', 0, 0, u16(1), infe);
  const ilocFor = (offset: number) =>
    fullBox('iloc', 0, 0, Buffer.from([0x44, 0x00]), u16(1), u16(1), u16(0), u16(1), u32(offset), u32(payload.length));
  const metaFor = (offset: number) => fullBox('meta', 0, 0, hdlr, pitm, iinf, ilocFor(offset), iprp);
  // The iloc offset depends on the meta size, which does not depend on the offset value.
  const metaLen = metaFor(0).length;
  const mdatOffset = ftyp.length + metaLen + 8;
  return Buffer.concat([ftyp, metaFor(mdatOffset), box('mdat', payload)]);
}
