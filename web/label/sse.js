// Server-sent events from a fetch body (EventSource cannot POST). Events are separated by a blank
// line; an event's data is its `data:` lines joined by newlines (the SSE spec, simplified to what
// an OpenAI-style stream sends: no event names, ids or retry fields are needed).

/** Yields each event's data string until the stream ends. */
export async function* sseData(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
    const events = buffer.split(/\r\n\r\n|\n\n|\r\r/);
    buffer = done ? '' : events.pop();
    for (const event of events) {
      const data = event.split(/\r\n|\n|\r/).filter((l) => l.startsWith('data:')).map((l) => l.slice(l.startsWith('data: ') ? 6 : 5));
      if (data.length) yield data.join('\n');
    }
    if (done) return;
  }
}
