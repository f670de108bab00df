@lifecycle @calico
Feature: Calico after the import: would calico-node start on the Kubernetes datastore?
  calico-node reads the Kubernetes datastore at start-up: it waits until ClusterInformation says the
  datastore is ready, claims the IPAM blocks affine to its node, and looks up its tunnel address's
  allocation by the node's tunnel handle (or allocates a new one). Judged from Kubernetes alone.

  Scenario: after the guide's import and unlock, calico-node would start on every node
    Given Calico data from "calico/readiness.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I lock the etcd datastore
    And I export the etcd datastore
    And I import the export into Kubernetes
    And I unlock the Kubernetes datastore
    Then calico-node would start on every Kubernetes Node: the datastore ready, each node's blocks affine to it, its tunnel addresses resolvable

  @smoke
  Scenario: imported but not unlocked: the readiness check says calico-node would wait
    Given Calico data from "calico/readiness.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I lock the etcd datastore
    And I export the etcd datastore
    And I import the export into Kubernetes
    Then the calico-node start-up readiness check names "ClusterInformation default": "not true"

  Scenario: the bundled dataset's IPIP tunnel address of node1 is allocated to a pod's handle: the check names it
    Given Calico data from "calico/dataset.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I lock the etcd datastore
    And I export the etcd datastore
    And I import the export into Kubernetes
    And I unlock the Kubernetes datastore
    Then the calico-node start-up readiness check names "Node node1": "not ipip-tunnel-addr-node1"
