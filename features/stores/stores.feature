@smoke @stores
Feature: Real stores for every scenario
  storeshift runs scenarios on real etcd and a real kube-apiserver, never on fakes.
  Stores are shared by a worker's scenarios and emptied between them.

  Scenario: etcd 3.6 stores and reads a key
    Given an etcd 3.6 store "target"
    When I put "/storeshift/smoke" = "ok" into etcd "target"
    Then etcd "target" has "/storeshift/smoke" = "ok"

  Scenario: the local control plane is a real kube-apiserver
    Given a Kubernetes control plane
    Then the control plane serves Kubernetes v1.37

  @needs-docker
  Scenario: etcd in a container through testcontainers
    Given an etcd container "container"
    When I put "/storeshift/smoke" = "ok" into etcd "container"
    Then etcd "container" has "/storeshift/smoke" = "ok"
    And etcd "container" has no key "/storeshift/other"
