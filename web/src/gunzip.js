// Unzips a .json.gz profile in the browser with the platform's DecompressionStream (no library, nothing
// uploaded), stopping as soon as the text passes `limit` bytes: a small file that inflates to gigabytes
// (a gzip bomb) is refused without being held in memory. wasm-bindgen bundles this file as a snippet.
export async function gunzipText(file, limit) {
  const reader = file.stream().pipeThrough(new DecompressionStream("gzip")).getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw new Error(`it is more than ${Math.round(limit / 1048576)} MiB once unzipped; use wattcast validate for larger ones`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) { all.set(c, at); at += c.length; }
  return new TextDecoder().decode(all);
}
