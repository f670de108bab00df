@stores @containers @needs-docker
Feature: etcd in containers through testcontainers
  With the docker backend, etcd runs in containers on the host network, bound to 127.0.0.1: the
  official images where a registry serves them, else images storeshift builds from the etcd binaries
  it already runs (docs/docker.md). Containers are the scenario's own and removed after it.

  Scenario: an etcd 3.6 container stores and reads a key
    Given an etcd 3.6 container "target"
    When I put "/storeshift/smoke" = "ok" into etcd "target"
    Then etcd "target" has "/storeshift/smoke" = "ok"
    And etcd "target" has no key "/storeshift/other"

  Scenario: the online v2 → v3 migration in an etcd 3.4 container verifies
    Given an etcd 3.4 container "source"
    And the v2 keys of "etcd-v2/shapes.yaml" in etcd "source"
    When I migrate etcd "source" online
    Then the online migration of etcd "source" verifies

  Scenario: a 3-member cluster in containers keeps every acknowledged write through a killed, a paused and a restarted member
    Given an etcd 3.6 container cluster "ring" of 3 members
    When I put "/a" = "1" through member 0 of etcd "ring"
    And I kill the container of member 0 of etcd "ring"
    Then member 0 of etcd "ring" is exited
    When I put "/b" = "2" through member 1 of etcd "ring"
    And I start the container of member 0 of etcd "ring"
    Then member 0 of etcd "ring" has "/b" = "2"
    When I pause the container of member 1 of etcd "ring"
    Then member 1 of etcd "ring" is paused
    When I put "/c" = "3" through member 2 of etcd "ring"
    And I unpause the container of member 1 of etcd "ring"
    Then member 1 of etcd "ring" has "/c" = "3"
    When I restart the container of member 2 of etcd "ring"
    Then member 2 of etcd "ring" is running
    And member 2 of etcd "ring" has "/a" = "1"
    And member 2 of etcd "ring" has "/c" = "3"

  @calico
  Scenario: the Calico migration from an etcd container to Kubernetes moves every object
    Given Calico data from "calico/dataset.yaml" in an etcd container "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I lock the etcd datastore
    And I export the etcd datastore
    And I snapshot Calico etcd "source" as "source"
    And I import the export into Kubernetes
    And I unlock the Kubernetes datastore
    Then Kubernetes holds the NetworkPolicy "prod/allow-dns"
    And Calico in Kubernetes holds what snapshot "source" maps to under "calico-etcd-to-kube"

  @needs-kind
  Scenario: a kind cluster serves Kubernetes
    Given a kind cluster
    Then Kubernetes lists 1 node
