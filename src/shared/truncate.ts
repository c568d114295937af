/** Cuts `text` to `max` characters, marking the cut with an ellipsis (error and status messages stay readable). */
export function truncateText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
