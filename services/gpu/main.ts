// Entry point of a whole-GPU service process: every actor of its GPUs (TYRSIM_GPUS) in one process,
// each GPU a partition the coordinator lets it run ahead on its own. Configured like the other
// services (TYRSIM_NATS_URL, TYRSIM_SCENARIO, TYRSIM_SEED, TYRSIM_GPUS, TYRSIM_SERVICE_NAME);
// started by `tyrsim up --gpu-processes K`.
import { runServiceFromEnv } from "../../runtime/multiprocess/natsServiceMain.ts";

await runServiceFromEnv("gpu");
