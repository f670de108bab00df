@calico @rollback
Feature: Calico rollback to etcd
  The guide's rollback: lock the Kubernetes datastore, delete the Calico CRDs, unlock etcd.
  Afterwards etcd must be as it was before the migration, unlocked again (compared with the lock flag
  included, so a rollback that leaves etcd locked fails), and Kubernetes must hold no Calico data.

  @smoke
  Scenario: migrate, then roll back: etcd is as it was, Kubernetes holds no Calico objects
    Given Calico data from "calico/dataset.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I snapshot Calico etcd "source" as "before"
    And I lock the etcd datastore
    And I export the etcd datastore
    And I import the export into Kubernetes
    And I unlock the Kubernetes datastore
    And I roll back to etcd
    Then Kubernetes holds no Calico objects
    And Calico etcd "source" is unchanged since snapshot "before"
    And the lock state is etcd "unlocked" and Kubernetes "absent"

  Scenario Outline: rollback after a generated dataset of <count> objects
    Given <count> generated Calico objects in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    When I snapshot Calico etcd "source" as "before"
    And I lock the etcd datastore
    And I export the etcd datastore
    And I import the export into Kubernetes
    And I roll back to etcd
    Then Calico etcd "source" is unchanged since snapshot "before", apart from what locking initialised
    And the lock state is etcd "unlocked" and Kubernetes "absent"

    Examples:
      | count |
      | 20    |
      | 150   |
