import { runMain } from "../../lib/main";
import { startSvcC } from "./app";

runMain(startSvcC);
