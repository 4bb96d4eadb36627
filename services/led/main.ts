// Entry point of the led service as its own process: the LED tutorial's GPIO bank and driver.
// Configured by TYRSIM_NATS_URL, TYRSIM_SCENARIO, TYRSIM_SEED and TYRSIM_SERVICE_NAME; started by
// `tyrsim up` or docker compose.
import { runServiceFromEnv } from "../../runtime/multiprocess/natsServiceMain.ts";

await runServiceFromEnv("led");
