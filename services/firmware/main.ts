// Entry point of the firmware service as its own process: the CSF MCU firmware.
// Configured by TYRSIM_NATS_URL, TYRSIM_SCENARIO, TYRSIM_SEED, TYRSIM_GPUS (default all) and
// TYRSIM_SERVICE_NAME; started by `tyrsim up` or docker compose.
import { runServiceFromEnv } from "../../runtime/multiprocess/natsServiceMain.ts";

await runServiceFromEnv("firmware");
