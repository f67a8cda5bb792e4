import sharp from 'sharp';
import { pngInfo, toChannels } from './decode';

describe('decode', () => {
  it('reads PNG headers the way libvips classifies them (grey, alpha, palette, 16-bit)', async () => {
    const raw = (c: number) => Buffer.from(Array.from({ length: 5 * 3 * c }, (_, i) => (i * 37) & 255));
    const variants: [string, Promise<Buffer>][] = [
      ['grey', sharp(raw(1), { raw: { width: 5, height: 3, channels: 1 } }).toColourspace('b-w').png().toBuffer()],
      ['grey+alpha', sharp(raw(2), { raw: { width: 5, height: 3, channels: 2 } }).toColourspace('b-w').png().toBuffer()],
      ['rgb', sharp(raw(3), { raw: { width: 5, height: 3, channels: 3 } }).png().toBuffer()],
      ['rgba', sharp(raw(4), { raw: { width: 5, height: 3, channels: 4 } }).png().toBuffer()],
      ['palette', sharp(raw(3), { raw: { width: 5, height: 3, channels: 3 } }).png({ palette: true }).toBuffer()],
      ['palette+tRNS', sharp(raw(4), { raw: { width: 5, height: 3, channels: 4 } }).png({ palette: true }).toBuffer()],
      ['rgb16', sharp(raw(3), { raw: { width: 5, height: 3, channels: 3 } }).toColourspace('rgb16').png().toBuffer()],
      ['grey16', sharp(raw(1), { raw: { width: 5, height: 3, channels: 1 } }).toColourspace('grey16').png().toBuffer()],
    ];
    const alphas: boolean[] = [];
    for (const [name, p] of variants) {
      const buf = await p;
      alphas.push(Boolean(pngInfo(buf)?.alpha));
      const m = await sharp(buf).metadata();
      expect([name, pngInfo(buf)]).toEqual([name, { width: 5, height: 3, colour: !(m.space === 'b-w' || m.space === 'grey16'), alpha: m.hasAlpha, depth: m.depth }]);
    }
    expect(alphas).toEqual([false, true, false, true, false, true, false, false]);
    expect(pngInfo(Buffer.from('not a png at all, not at all, not at all'))).toBeUndefined();
  });

  it('converts RGB to grey with the integer luma of PIL 9.4 convert("L")', () => {
    // Expected values printed by PIL: Image.new('RGB', (1, 1), c).convert('L').getpixel((0, 0)).
    const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 13, 200, 77]);
    expect(Array.from(toChannels(rgb, 3, 1))).toEqual([76, 150, 29, 130]);
    expect(Array.from(toChannels(Uint8Array.from([7, 9]), 1, 3))).toEqual([7, 7, 7, 9, 9, 9]);
  });
});
