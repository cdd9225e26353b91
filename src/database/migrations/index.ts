import { CreateCoreSchema1763800000000 } from './1763800000000-CreateCoreSchema';

/** Every migration, in order. Add new ones at the end; never edit one that has landed. */
export const migrations = [CreateCoreSchema1763800000000];
