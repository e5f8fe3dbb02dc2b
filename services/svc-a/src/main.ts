import { runMain } from "../../lib/main";
import { startSvcA } from "./app";

runMain(startSvcA);
