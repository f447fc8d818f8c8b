/** RFC 6901 JSON Pointers: "" is the whole document, "/items/0" a path of keys and indexes. */
export class PointerError extends Error {}

/** The reference tokens of a pointer, unescaped (~1 is "/", ~0 is "~"). */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PointerError(`the JSON pointer "${pointer}" must be empty or start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~(?![01])/.test(token))
        throw new PointerError(`the JSON pointer "${pointer}" has a "~" not followed by 0 or 1`);
      return token.replaceAll('~1', '/').replaceAll('~0', '~');
    });
}
