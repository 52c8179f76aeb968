/** The part of `heic-decode` (libheif compiled to WebAssembly) that the worker uses. */
declare module 'heic-decode' {
  interface DecodedImage {
    width: number;
    height: number;
    /** RGBA, 8 bits per sample, orientation (irot/imir) already applied. */
    data: Uint8ClampedArray;
  }

  interface HeifImage {
    width: number;
    height: number;
    decode(): Promise<DecodedImage>;
  }

  function decode(input: { buffer: Uint8Array }): Promise<DecodedImage>;

  namespace decode {
    /** Every image of the file, sizes known before any pixel is decoded; call `dispose`. */
    function all(input: { buffer: Uint8Array }): Promise<HeifImage[] & { dispose(): void }>;
  }

  export = decode;
}
