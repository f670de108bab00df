@faults @calico @slow
Feature: Calico import interrupted in the middle of 200 generated objects
  The import applies objects 32 at a time; a fault half-way leaves some objects in Kubernetes and
  others not. Roll back, run again: the target equals the undisturbed run's, and etcd never changed.

  Background:
    Given 200 generated Calico objects in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    And the target of an undisturbed Calico migration saved as snapshot "undisturbed"
    And I snapshot Calico etcd "source" as "before"

  Scenario Outline: import while <target> is <fault> after 100 Calico objects
    When I lock the etcd datastore
    And I export the etcd datastore
    And <target> will be <fault> after 100 Calico objects reach Kubernetes
    And I try the Calico import step
    Then the fault fired
    And the import step <outcome>
    When the faults heal
    Then the lock state is etcd "locked" and Kubernetes "locked"
    And Calico etcd "source" is unchanged since snapshot "before", apart from the lock flag
    When I recover the Calico migration
    Then Calico in Kubernetes is unchanged since snapshot "undisturbed"
    And the lock state is etcd "locked" and Kubernetes "locked"

    Examples:
      | target                   | fault                | outcome                 |
      | the kube-apiserver       | killed               | failed naming "import:" |
      | the kube-apiserver       | restarted            | either succeeded or failed naming "import:" |
      | the control plane's etcd | killed               | failed naming "import:" |
      | the control plane's etcd | paused for 3 seconds | succeeded               |

  Scenario: the connection to the kube-apiserver is reset after 100 Calico objects
    Given the migrator reaches the kube-apiserver through a fault proxy
    When I lock the etcd datastore
    And I export the etcd datastore
    And the network to the kube-apiserver will have "connection reset" after 100 Calico objects reach Kubernetes
    And I try the Calico import step
    Then the fault fired
    And the import step failed naming "import:"
    When the faults heal
    Then the lock state is etcd "locked" and Kubernetes "locked"
    And Calico etcd "source" is unchanged since snapshot "before", apart from the lock flag
    When I recover the Calico migration
    Then Calico in Kubernetes is unchanged since snapshot "undisturbed"
    And the lock state is etcd "locked" and Kubernetes "locked"
