// Decoders that talk: omggif (jimp's GIF decoder) prints 'Warning, gif stream longer than expected.' with
// console.log, onto the CLI's stdout, where a caller may be reading the CLI's output. While a decoder runs, what
// it logs goes to stderr as a warning naming the file. (The redirection spans the decoder's await: anything
// else that logs in that window is moved to stderr too, which in this pipeline is nothing; decoding is one step.)

/** Runs `decode` with console.log and console.info sent to stderr as warnings about `label`. */
export async function decoderChatterToStderr<T>(label: string, decode: () => Promise<T>): Promise<T> {
  const { log, info } = console;
  const warn = (...args: unknown[]) => process.stderr.write(`warning: decoding ${label}: ${args.map(String).join(' ')}\n`);
  console.log = console.info = warn;
  try {
    return await decode();
  } finally {
    console.log = log;
    console.info = info;
  }
}
