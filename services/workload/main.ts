// Entry point of the workload service as its own process: the userspace clients of a scenario
// (`wl<N>.<name>`, the game-like frame loops). Configured by TYRSIM_NATS_URL, TYRSIM_SCENARIO,
// TYRSIM_SEED, TYRSIM_GPUS (default all) and TYRSIM_SERVICE_NAME; started by `tyrsim up` or docker compose.
import { runServiceFromEnv } from "../../runtime/multiprocess/natsServiceMain.ts";

await runServiceFromEnv("workload");
