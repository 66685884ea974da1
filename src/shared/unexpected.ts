// An error nobody anticipated, as the user sees it on either side of the engine's process boundary: its
// first line (the rest, with the stack, goes to the log), and where to look for the rest.

export function unexpected(e: unknown): { readonly title: string; readonly message: string; readonly hint: string } {
  const m = e instanceof Error ? e.message : String(e);
  return { title: 'Unexpected error', message: m.split('\n')[0], hint: 'See the "CNN Fixations" output channel for details.' };
}
