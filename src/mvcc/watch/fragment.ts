/** A response that can be split: its events and a fragment flag. */
export interface Fragmentable<E> {
  events: E[];
  fragment: boolean;
}

/** Encoded sizes: of a whole response, and of one event as a field of the response (tag + length + body). */
export interface FragmentSizes<E, R> {
  responseBytes(response: R): number;
  eventFieldBytes(event: E): number;
}

/**
 * Splits a watch response as etcd does when the watcher asked for fragments: a response smaller
 * than `maxBytes`, or with fewer than two events, goes whole; otherwise events are packed in order
 * into pieces that stay below `maxBytes` (a piece always holds at least one event), every piece
 * but the last with fragment=true. Events of one response are only ever split this way. Never throws.
 */
export function fragmentResponse<E, R extends Fragmentable<E>>(
  response: R, maxBytes: number, sizes: FragmentSizes<E, R>,
): R[] {
  if (response.events.length < 2 || sizes.responseBytes(response) < maxBytes) return [response];
  const emptyBytes = sizes.responseBytes({ ...response, events: [], fragment: true });
  const pieces: R[] = [];
  let index = 0;
  while (index < response.events.length) {
    const piece: R = { ...response, events: [] as E[], fragment: true };
    let pieceBytes = emptyBytes;
    while (index < response.events.length) {
      const event = response.events[index]!;
      const eventBytes = sizes.eventFieldBytes(event);
      if (piece.events.length > 0 && pieceBytes + eventBytes >= maxBytes) break;
      piece.events.push(event);
      pieceBytes += eventBytes;
      index++;
    }
    pieces.push(piece);
  }
  pieces[pieces.length - 1]!.fragment = false;
  return pieces;
}
