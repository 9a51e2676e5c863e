/**
 * A fast upper-leaning estimate of prompt tokens, for context-fit checks and reservations before
 * the upstream has counted: UTF-8 bytes / 4 (≈ 4 characters per token for English, ≈ 0.75 tokens
 * per character for CJK text, where each character is 3 bytes), plus a few tokens of framing per
 * message. Images count as a flat 1,000 tokens each.
 */
const PER_MESSAGE = 4;
const PER_IMAGE = 1_000;

function textBytes(content: unknown): { bytes: number; images: number } {
  if (typeof content === 'string') return { bytes: Buffer.byteLength(content), images: 0 };
  let bytes = 0;
  let images = 0;
  if (Array.isArray(content)) {
    for (const part of content as Array<Record<string, unknown>>) {
      if (typeof part?.text === 'string') bytes += Buffer.byteLength(part.text);
      else if (part?.type === 'image_url' || part?.type === 'image') images++;
    }
  }
  return { bytes, images };
}

export function estimatePromptTokens(messages: unknown, tools?: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let bytes = 0;
  let images = 0;
  for (const message of messages as Array<Record<string, unknown>>) {
    const counted = textBytes(message?.content);
    bytes += counted.bytes;
    images += counted.images;
    if (message?.tool_calls !== undefined) bytes += Buffer.byteLength(JSON.stringify(message.tool_calls));
  }
  if (tools !== undefined) bytes += Buffer.byteLength(JSON.stringify(tools));
  return Math.ceil(bytes / 4) + PER_MESSAGE * messages.length + PER_IMAGE * images;
}
