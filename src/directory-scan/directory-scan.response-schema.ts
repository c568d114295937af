import { z } from 'zod';

/** `POST /api/v2/directory-scan/preview`: the original's DirectoryScanResponse shape (docs/api.md). */
export const directoryScanPreviewResponse = z
  .object({
    scan_id: z.string(),
    path: z.string(),
    files: z.array(
      z.object({
        file_path: z.string(),
        file_name: z.string(),
        file_size: z.number().int(),
        mime_type: z.string(),
        content_hash: z.null(),
        modified_at: z.string(),
      }),
    ),
    total_files: z.number().int(),
    total_size: z.number().int(),
    supported_files: z.number().int(),
    other_files: z.number().int(),
    warnings: z.array(z.string()),
    complete: z.boolean(),
  })
  .meta({ id: 'DirectoryScanPreview' });
