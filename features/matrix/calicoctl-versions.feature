@matrix @calico
Feature: Version matrix: every calicoctl found, as the migrator
  Each calicoctl this machine offers (the paths STORESHIFT_CALICOCTL lists, colon-separated, then the
  cache's calicoctl-<version> builds, newest first) drives the guide's migration and its rollback,
  judged by the checks features/calico/real-calicoctl.feature holds every calicoctl to (storeshift's
  stricter completeness and integrity checks would fail every release on upstream case C-09, which
  features/upstream judges per release). Each row names the calicoctl version it ran; a row with no
  calicoctl left to take is not run, listing those found.

  Scenario Outline: calicoctl found #<n> migrates forward and rolls back: etcd as it was
    Given the calicoctl found #<n> as the migrator
    And Calico data from "calico/dataset.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I snapshot etcd "source" as "raw-before"
    And I lock the etcd datastore
    And I export the etcd datastore
    And I import the export into Kubernetes
    And I unlock the Kubernetes datastore
    Then Kubernetes holds the NetworkPolicy "prod/allow-dns"
    And Kubernetes holds the GlobalNetworkPolicy "security.block-ssh"
    And the lock state is etcd "locked" and Kubernetes "unlocked"
    When I roll back to etcd
    Then etcd "source" is unchanged since snapshot "raw-before"
    And the lock state is etcd "unlocked" and Kubernetes "absent"

    Examples:
      | n |
      | 1 |
      | 2 |
      | 3 |
