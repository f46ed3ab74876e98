// The server's /metrics as the benchmarks read it.

/**
 * Scrapes `http://127.0.0.1:<port>/metrics` into series values keyed by series name with labels,
 * without the server's fixed `model`/`version` labels (so `request_queue_depth`,
 * `http_request_duration_seconds_sum{method="POST",route="/predict",status="200"}`).
 */
export async function scrape(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const at = line.lastIndexOf(' ');
    // The model/version pair taken out wherever it stands, with the comma it leaves over.
    const key = line
      .slice(0, at)
      .replace(/model="[^"]*",version="[^"]*"/, '')
      .replace(/\{,|,,|,\}/, (m) => (m === ',,' ? ',' : m.replace(',', '')))
      .replace('{}', '');
    values.set(key, Number(line.slice(at + 1)));
  }
  return values;
}
