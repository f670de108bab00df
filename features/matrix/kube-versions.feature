@matrix @calico
Feature: Version matrix: the Calico migration on each Kubernetes minor
  The import writes CRDs and custom resources through the API server, whose validation and defaults
  change between minors. Each row runs the migration and its rollback on a local control plane of
  that minor and reads /version to record which kube-apiserver it really was. A minor whose
  kube-apiserver is not installed is not run, naming the release to install.

  Scenario Outline: Calico round trip on Kubernetes <kube>: every object arrives, rollback leaves etcd as it was
    Given Calico data from "calico/dataset.yaml" in etcd "source"
    And a Kubernetes <kube> cluster with the fixture's nodes and namespaces
    Then the API server reports Kubernetes <kube>
    When I snapshot etcd "source" as "raw-before"
    And I lock the etcd datastore
    And I export the etcd datastore
    And I snapshot Calico etcd "source" as "source"
    And I import the export into Kubernetes
    And I unlock the Kubernetes datastore
    Then Calico in Kubernetes holds what snapshot "source" maps to under "calico-etcd-to-kube"
    And Kubernetes matches the golden target for "calico/dataset.yaml"
    When I roll back to etcd
    Then etcd "source" is unchanged since snapshot "raw-before"
    And the lock state is etcd "unlocked" and Kubernetes "absent"

    Examples:
      | kube |
      | 1.37 |
      | 1.36 |
