/**
 * What the engine analyzes, from what the program registered.
 *
 * `awsx:ec2:Vpc` and `eks:index:Cluster` are remote (multi-language) components: the program's
 * SDK sends their arguments to the engine, which hands them to the component's plugin
 * (`Construct`), and the plugin registers the component and its children itself. The plugins
 * bundle an older Node SDK (@pulumi/awsx 3.9.0's provider pins @pulumi/pulumi 3.200.0,
 * pulumi-eks v4.3.0's yarn.lock resolves 3.173.0) that does not send a component's args: the SDK
 * started sending them in 3.202.0 (https://github.com/pulumi/pulumi/pull/20357, for
 * https://github.com/pulumi/pulumi/issues/10533). So under the real engine the analyzer and the
 * state see each remote component, and every component nested in it, with empty inputs, and see
 * its children as ordinary custom resources: policies can judge only the children.
 *
 * `engineView` turns the plan's records into that view: each remote component with empty inputs
 * and only the outputs it registers, followed by its children derived for its arguments
 * (./vpc.ts, ./eks.ts, each naming the provider source it follows). A remote component the plan
 * cannot expand fails the plan: a gate must not silently judge less than the engine would show.
 */
import type { RecordedResource } from "../record";
import { EKS_SOURCE, expandEksCluster } from "./eks";
import { VPC_SOURCE, expandVpc } from "./vpc";

export interface RemoteComponentModel {
  /** The provider source the derivation follows, with its version. */
  readonly source: string;
  readonly expand: (component: RecordedResource) => RecordedResource[];
}

export const REMOTE_COMPONENTS: Readonly<Record<string, RemoteComponentModel>> = {
  "awsx:ec2:Vpc": { source: VPC_SOURCE, expand: expandVpc },
  "eks:index:Cluster": { source: EKS_SOURCE, expand: expandEksCluster },
};

/**
 * The component as the engine records it: no inputs, and as outputs only what the component
 * registered (the mocks echo a resource's inputs into its outputs; a component does not).
 */
function asRegisteredByPlugin(component: RecordedResource): RecordedResource {
  const outputs = Object.fromEntries(
    Object.entries(component.outputs).filter(([k]) => !(k in component.inputs)),
  );
  return { ...component, inputs: {}, outputs };
}

export function engineView(records: readonly RecordedResource[]): RecordedResource[] {
  const view: RecordedResource[] = [];
  for (const record of records) {
    if (!record.remote) {
      view.push(record);
      continue;
    }
    const model = REMOTE_COMPONENTS[record.type];
    if (!model) {
      throw new Error(
        `${record.urn}: the offline plan cannot show what the engine analyzes for the remote component ${record.type}; derive its children in plan/remote/`,
      );
    }
    view.push(asRegisteredByPlugin(record), ...model.expand(record));
  }
  return view;
}
