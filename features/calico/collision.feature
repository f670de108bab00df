@calico
Feature: One-to-one: two etcd Nodes that map to one Kubernetes Node
  Calico's own migration test has etcd Nodes node4 and node5 whose k8s orchRefs both name node4.
  calicoctl applies both and keeps the last; storeshift refuses, naming both, before it writes anything.

  Background:
    Given Calico data from "calico/node-collision.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces

  Scenario: export refuses the collision, naming both etcd Nodes; Kubernetes gets nothing
    When I lock the etcd datastore
    And I try to export the etcd datastore
    Then it was refused with "collision: etcd Nodes node4 and node5 both map to Node node4"
    And Kubernetes got nothing from the migration
    And Kubernetes matches the golden target for "calico/node-collision.yaml"
    And the lock state is etcd "locked" and Kubernetes "absent"

  Scenario: import refuses a file that holds both (made with calicoctl's quirks) before it writes
    Given storeshift's migrator keeps calicoctl's quirks
    When I lock the etcd datastore
    And I export the etcd datastore
    And storeshift's migrator applies its own fixes
    And I try to import the export into Kubernetes
    Then it was refused with "more than one entry for Node node4"
    And Kubernetes got nothing from the migration
    And the lock state is etcd "locked" and Kubernetes "absent"

  Scenario: with calicoctl's quirks nothing stops it: node5 overwrites node4, the renamed tunnel handles clash
    Given storeshift's migrator keeps calicoctl's quirks
    When I lock the etcd datastore
    And I export the etcd datastore
    And I try to import the export into Kubernetes
    Then it was refused with "IPAM handle vxlan-tunnel-addr-node4"
    And the Kubernetes Node "node4" has the annotation "projectcalico.org/IPv4Address" = "1.2.3.5/24"
    And the lock state is etcd "locked" and Kubernetes "locked"
