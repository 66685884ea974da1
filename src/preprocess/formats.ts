// The image formats the decoders (decode.ts) read, by file extension. On its own so that code that only needs
// the list (the extension host's pickers and menus) does not load the decoders.
export const imageExtensions = ['png', 'jpg', 'jpeg', 'bmp', 'gif', 'tif', 'tiff', 'webp', 'avif'] as const;
