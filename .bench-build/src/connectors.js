import { autotask } from '../connectors/autotask/index.js';
import { connectwise } from '../connectors/connectwise/index.js';
import { halo } from '../connectors/halo/index.js';
/**
 * The connector registry (STYLE rule 1). Adding a PSA = a folder under `connectors/` + one line here;
 * `Record<PsaKind, …>` makes a missing or misspelt entry a type error.
 */
export const connectors = {
    connectwise,
    autotask,
    halo,
};
//# sourceMappingURL=connectors.js.map