// Printer for the admission webhook configurations (k/k printers.go: printValidatingWebhook,
// printMutatingWebhook): NAME, WEBHOOKS (how many), AGE.
import type { ValidatingWebhookConfiguration } from '@mkube/shared/api';
import { timestampSince } from './duration.js';
import { AGE_COLUMN, col, NAME_COLUMN, type Printer, printer } from './types.js';

export const webhookConfigurationPrinter: Printer = printer<ValidatingWebhookConfiguration>({
  columns: [
    NAME_COLUMN,
    col('Webhooks', 'Webhooks indicates the number of webhooks registered in this configuration', {
      type: 'integer',
    }),
    AGE_COLUMN,
  ],
  cells: (o, now) => [o.metadata.name, (o.webhooks ?? []).length, timestampSince(o.metadata?.creationTimestamp, now)],
});
