import { runMain } from "../../lib/main";
import { startSvcB } from "./app";

runMain(startSvcB);
