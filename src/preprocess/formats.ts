// The image formats the decoder (jimp, in image.ts) reads, by file extension. On its own so that code that
// only needs the list (the extension host's pickers and menus) does not load the decoder.
export const imageExtensions = ['png', 'jpg', 'jpeg', 'bmp', 'gif', 'tif', 'tiff'] as const;
