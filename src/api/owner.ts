// The owner of the objects the operator and a KesRotation's Jobs create, and the field manager they are labelled
// with: shared by the operator and `poolfleet-cli kes stage|sign` (the Jobs' own command), so it lives here and
// neither has to import the other.
export const MANAGER = "poolfleet-operator";

export interface Owner {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
}
