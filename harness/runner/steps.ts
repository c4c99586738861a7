import type { Handlers } from './steps/shared.ts';
import { faultSteps } from './steps/faults.ts';
import { guestSteps } from './steps/guest.ts';
import { managementSteps } from './steps/management.ts';
import { migrationSteps } from './steps/migration.ts';
import { spiceSteps } from './steps/spice.ts';

export { sampleStates } from './steps/shared.ts';

/** One handler per step kind; a new kind is a schema entry plus a handler in steps/. */
export const STEP_HANDLERS: Handlers = { ...guestSteps, ...migrationSteps, ...faultSteps, ...managementSteps, ...spiceSteps };
