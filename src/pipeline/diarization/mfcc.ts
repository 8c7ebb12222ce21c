/**
 * MFCCs for speaker diarization: 25 ms Hamming windows every 10 ms of 16 kHz audio, pre-emphasis,
 * a 512-point FFT (npm `fft.js`: radix-4, no dependencies, no allocation per frame), a triangular
 * mel filterbank, log and an orthonormal DCT-II (the HTK/Kaldi recipe). Written here rather than
 * taken from `meyda`: meyda's runtime dependencies include a bundler plugin, a CLI parser and a WAV
 * reader, its MFCC compresses with log(1 + x) (results depend on the input's scale) and it
 * allocates per frame, which matters at 360 000 frames per hour of speech.
 */
import FFT from "fft.js";
import { SAMPLE_RATE } from "../../engines/asr/types.ts";

export const FRAME_HOP = 160; // 10 ms
export const FRAME_LEN = 400; // 25 ms
const FFT_SIZE = 512;

export interface MfccOptions {
  /** cepstral coefficients kept per frame, c0 (log energy) included */
  coefficients?: number;
  melBands?: number;
  lowHz?: number;
  /** the filterbank's top: telephony audio (8 kHz) has nothing above 4 kHz */
  highHz?: number;
}

export const MFCC_DEFAULTS: Required<MfccOptions> = {
  coefficients: 20,
  melBands: 40,
  lowHz: 60,
  highHz: 3800,
};

const mel = (hz: number) => 1127 * Math.log(1 + hz / 700);
const melInv = (m: number) => 700 * (Math.exp(m / 1127) - 1);

/** Triangular filters on the FFT bins: per filter, its first bin and weights. */
export function melFilterbank(bands: number, lowHz: number, highHz: number, fftSize = FFT_SIZE) {
  const bins = fftSize / 2 + 1;
  const lo = mel(lowHz);
  const hi = mel(highHz);
  const centres = Array.from({ length: bands + 2 }, (_, i) => melInv(lo + ((hi - lo) * i) / (bands + 1)));
  const binHz = SAMPLE_RATE / fftSize;
  return Array.from({ length: bands }, (_, b) => {
    const [left, centre, right] = [centres[b]!, centres[b + 1]!, centres[b + 2]!];
    const first = Math.max(0, Math.ceil(left / binHz));
    const last = Math.min(bins - 1, Math.floor(right / binHz));
    const weights = new Float64Array(Math.max(0, last - first + 1));
    for (let k = first; k <= last; k++) {
      const hz = k * binHz;
      weights[k - first] = hz <= centre ? (hz - left) / (centre - left) : (right - hz) / (right - centre);
    }
    return { first, weights };
  });
}

/** Computes one frame's coefficients at a time into a caller's array; reuses all its buffers. */
export function createMfcc(opts: MfccOptions = {}) {
  const o = { ...MFCC_DEFAULTS, ...opts };
  const fft = new FFT(FFT_SIZE);
  const input = new Float64Array(FFT_SIZE);
  const spectrum = fft.createComplexArray() as number[];
  const window = Float64Array.from(
    { length: FRAME_LEN },
    (_, i) => 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (FRAME_LEN - 1)),
  );
  const filters = melFilterbank(o.melBands, o.lowHz, o.highHz);
  const logMel = new Float64Array(o.melBands);
  // orthonormal DCT-II rows
  const dct = Array.from({ length: o.coefficients }, (_, k) =>
    Float64Array.from(
      { length: o.melBands },
      (_, b) => Math.sqrt((k === 0 ? 1 : 2) / o.melBands) * Math.cos((Math.PI * k * (b + 0.5)) / o.melBands),
    ),
  );
  return {
    coefficients: o.coefficients,
    /**
     * `frame` holds FRAME_LEN samples (int16 scale); `previous` the sample before it (pre-emphasis).
     * Writes `coefficients` values at out[offset…].
     */
    compute(frame: ArrayLike<number>, previous: number, out: Float32Array, offset: number): void {
      let mean = 0;
      for (let i = 0; i < FRAME_LEN; i++) mean += frame[i]!;
      mean /= FRAME_LEN;
      let prev = previous - mean;
      for (let i = 0; i < FRAME_LEN; i++) {
        const x = frame[i]! - mean;
        input[i] = (x - 0.97 * prev) * window[i]!;
        prev = x;
      }
      input.fill(0, FRAME_LEN);
      fft.realTransform(spectrum, input);
      for (let b = 0; b < filters.length; b++) {
        const { first, weights } = filters[b]!;
        let e = 0;
        for (let j = 0; j < weights.length; j++) {
          const re = spectrum[2 * (first + j)]!;
          const im = spectrum[2 * (first + j) + 1]!;
          e += weights[j]! * (re * re + im * im);
        }
        logMel[b] = Math.log(e + 1); // int16 scale: +1 is far below any audible band energy
      }
      for (let k = 0; k < dct.length; k++) {
        const row = dct[k]!;
        let c = 0;
        for (let b = 0; b < row.length; b++) c += row[b]! * logMel[b]!;
        out[offset + k] = c;
      }
    },
  };
}

export type Mfcc = ReturnType<typeof createMfcc>;
