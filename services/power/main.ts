// Entry point of the power service as its own process: the power controller (domains, supplies, OPPs, energy).
// Configured by TYRSIM_NATS_URL, TYRSIM_SCENARIO, TYRSIM_SEED, TYRSIM_GPUS (default all) and
// TYRSIM_SERVICE_NAME; started by `tyrsim up` or docker compose.
import { runServiceFromEnv } from "../../runtime/multiprocess/natsServiceMain.ts";

await runServiceFromEnv("power");
