import { z } from 'zod';
import { bool, type ParseContext } from '../config/env-values';

const docsEnvSchema = z.object({
  DOCS_ENABLED: bool.optional(),
});

/** Whether the OpenAPI document and Swagger UI are served; unset: everywhere but production. */
export const docsEnv = docsEnvSchema.shape;
type DocsEnv = z.infer<typeof docsEnvSchema>;

export interface DocsSettings {
  enabled: boolean;
}

export function parseDocs(env: DocsEnv, { production }: ParseContext): DocsSettings {
  return { enabled: env.DOCS_ENABLED ?? !production };
}
