@calico
Feature: Calico, etcdv3 → Kubernetes datastore, following the operator guide
  The guide: lock the etcd datastore, export, point calicoctl at Kubernetes, import, verify, unlock.
  Every Calico object must arrive in Kubernetes as calicoctl's rules map it; nothing else changes.

  Background:
    Given Calico data from "calico/dataset.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces

  @smoke
  Scenario: the forward migration moves every object the guide says it moves
    When I lock the etcd datastore
    And I export the etcd datastore
    And I snapshot Calico etcd "source" as "source"
    And I import the export into Kubernetes
    And I unlock the Kubernetes datastore
    Then Kubernetes holds the NetworkPolicy "prod/allow-dns"
    And Kubernetes holds the GlobalNetworkPolicy "security.block-ssh"
    And Calico in Kubernetes holds what snapshot "source" maps to under "calico-etcd-to-kube"
    And Kubernetes matches the golden target for "calico/dataset.yaml"
    And every Calico key of etcd "source" reached Kubernetes or is on the exclusion list
    And every reference in the Calico objects in Kubernetes resolves
    And the lock state is etcd "locked" and Kubernetes "unlocked"

  Scenario: export is refused while the etcd datastore is unlocked
    When I try to export the etcd datastore
    Then it was refused with "not locked"
    And the lock state is etcd "unlocked" and Kubernetes "absent"

  Scenario: import is refused when the target already holds Calico data
    When I lock the etcd datastore
    And I export the etcd datastore
    And I import the export into Kubernetes
    And I try to import the export into Kubernetes
    Then it was refused with "datastore already has Calico resources"
    And the lock state is etcd "locked" and Kubernetes "locked"

  Scenario: a Calico Node whose Kubernetes Node is missing is a warning, and is skipped
    Given the Kubernetes Node "node2" is missing
    When I lock the etcd datastore
    And I export the etcd datastore
    And I import the export into Kubernetes
    Then the import warned that node "node2" references a nonexistent Kubernetes node
    And Kubernetes holds the NetworkPolicy "prod/allow-dns"
    And the lock state is etcd "locked" and Kubernetes "locked"
