@live-writers @calico
Feature: Calico components keep writing while the datastore is migrated
  Simulated Calico components write through the real etcd with Calico's key layout while the guide
  is followed: an IPAM allocator doing what the CNI plugin does (claim a block, allocate an address,
  write the handle), a Felix-like status writer, and a policy sync like kube-controllers'. Those that
  honour the lock wait while ClusterInformation default's datastoreReady is false, as the real ones
  do; then the migration must lose nothing. One that ignores it writes after the export: the harness
  must name every such write instead of passing, checked against the writer's own log.

  Background:
    Given Calico data from "calico/dataset.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces

  Scenario: components that honour the lock wait, and the migration loses none of their writes
    When live Calico writers write to etcd "source":
      | writer         | lock    |
      | ipam-allocator | honours |
      | felix-status   | honours |
      | policy-sync    | honours |
    And I lock the etcd datastore
    And I take a drift fingerprint of etcd "source"
    And I export the etcd datastore
    And every live writer takes 3 more turns
    And I import the export into Kubernetes
    And the live writers stop
    Then every live writer that honours the lock waited while etcd "source" was locked
    And etcd "source" did not drift since the fingerprint
    And every write the live writers made before the lock is in Kubernetes

  Scenario: components that ignore the lock: the drift check names every write made after the export
    When live Calico writers write to etcd "source":
      | writer         | lock    |
      | ipam-allocator | ignores |
      | felix-status   | honours |
      | policy-sync    | ignores |
    And I lock the etcd datastore
    And I take a drift fingerprint of etcd "source"
    And I export the etcd datastore
    And every live writer takes 3 more turns
    And I import the export into Kubernetes
    And the live writers stop
    Then the drift check of etcd "source" names every write the live writers made after the fingerprint
    And every live writer that honours the lock waited while etcd "source" was locked
