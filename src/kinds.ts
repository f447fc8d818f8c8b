/**
 * A registry of kinds (source kinds, agent adapters) keyed by their spec's `type`, each bringing
 * its own zod schema: from it come the spec section's union schema, the kind for a spec, and the
 * fields a section of a type may have.
 */
import { z } from 'zod';

interface Kind {
  schema: z.ZodType;
}

export function kindRegistry<Kinds extends Record<string, Kind>, Spec extends { type: keyof Kinds & string }>(
  kinds: Kinds,
) {
  return {
    types: Object.keys(kinds) as (keyof Kinds & string)[],
    schema: z.discriminatedUnion(
      'type',
      Object.values(kinds).map((k) => k.schema) as unknown as [z.ZodObject, ...z.ZodObject[]],
    ) as unknown as z.ZodType<Spec>,
    /** The kind that handles this spec section. */
    kindOf: (spec: Spec): Kinds[keyof Kinds] => kinds[spec.type]!,
    /** The fields a section of this type may have (for "unknown field" hints); null for an unknown type. */
    fields(type: string): readonly string[] | null {
      const kind = (kinds as Record<string, Kind>)[type];
      return kind ? Object.keys((kind.schema as unknown as z.ZodObject).shape) : null;
    },
  };
}
